/**
 * Where to go after signing in: the `redirect` the sign-in page was given, when it is an address
 * inside this UI, else the home page. "//host" and "/\host" are refused because browsers read
 * both as another site's address.
 */
export function safeRedirect(target: string | null): string {
  return target && /^\/(?![/\\])/.test(target) ? target : '/';
}
