/**
 * A JSON object that we stored as text (metadata columns). An unreadable value, or one that is
 * not an object, reads as empty: a damaged column shows as nothing rather than failing a view.
 */
export function parseStoredJsonObject(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // read as empty below
  }
  return {};
}
