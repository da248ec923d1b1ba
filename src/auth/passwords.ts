import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';

const BCRYPT_COST = 10;

/**
 * bcrypt only looks at the first 72 bytes of its input; longer passwords would be silently
 * truncated, so account creation rejects them instead.
 */
export const MAX_PASSWORD_BYTES = 72;

export function passwordTooLong(password: string): boolean {
  return bcrypt.truncates(password);
}

export async function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST);
}

/** False for a missing or malformed hash rather than throwing: such an account cannot log in. */
export async function verifyPassword(password: string, hash: string | null | undefined): Promise<boolean> {
  if (!hash) return false;
  try {
    return await bcrypt.compare(password, hash);
  } catch {
    return false;
  }
}

// A real hash of a random string: comparing against it costs the same as checking a real account,
// so an unknown username answers no faster than a wrong password. Made on first use.
let decoyHash: Promise<string> | undefined;

/** Spends the time of one password check; used when there is no account to check against. */
export async function spendPasswordCheckTime(password: string): Promise<void> {
  decoyHash ??= bcrypt.hash(randomBytes(16).toString('hex'), BCRYPT_COST);
  await bcrypt.compare(password, await decoyHash);
}
