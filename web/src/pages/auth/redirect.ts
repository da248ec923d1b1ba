// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const BACKSLASH_OR_CONTROL = /[\\\u0000-\u001f\u007f]/;

/**
 * Where to go after signing in: the `redirect` the sign-in page was given, when it is a path inside
 * this UI, else the home page. "//host" is another site's address; backslashes and control
 * characters are refused anywhere, because browsers turn "/\host" and "/<tab>/host" into one too.
 */
export function safeRedirect(target: string | null): string {
  if (!target || BACKSLASH_OR_CONTROL.test(target)) return '/';
  return /^\/(?!\/)/.test(target) ? target : '/';
}
