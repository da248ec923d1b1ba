/** Usage-log metadata keeps at most this many characters of a client's User-Agent header. */
const MAX_USER_AGENT_LENGTH = 512;

/** A User-Agent header as usage-log metadata stores it: cut to MAX_USER_AGENT_LENGTH; null when absent or empty. */
export function loggedUserAgent(header: string | undefined): string | null {
  return header ? header.slice(0, MAX_USER_AGENT_LENGTH) : null;
}
