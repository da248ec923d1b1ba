import { createHash } from 'node:crypto';
import { Invalid } from '../errors.js';

export type DigestAlgorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const LOWERCASE_HEX = /^[0-9a-f]+$/;

/** `<algorithm>:<hex>` over the exact bytes given; strings are hashed as UTF-8. */
export function computeDigest(bytes: Buffer | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Explains why `value` is not a digest this registry accepts, or returns null when it is one. */
export function digestProblem(value: string): string | null {
  const colon = value.indexOf(':');
  if (colon <= 0) return 'expected <algorithm>:<hex>';
  const algorithm = value.slice(0, colon);
  const hex = value.slice(colon + 1);
  if (algorithm !== 'sha256' && algorithm !== 'sha512') return `unsupported algorithm "${algorithm}" (use sha256 or sha512)`;
  const length = HEX_LENGTH[algorithm];
  if (hex.length !== length || !LOWERCASE_HEX.test(hex)) return `${algorithm} needs ${length} lowercase hex characters`;
  return null;
}

export function isDigest(value: string): boolean {
  return digestProblem(value) === null;
}

export function parseDigest(value: string): { algorithm: DigestAlgorithm; hex: string } {
  const problem = digestProblem(value);
  if (problem !== null) throw new Invalid('digest', `invalid digest "${value}": ${problem}`, { digest: value });
  const colon = value.indexOf(':');
  return { algorithm: value.slice(0, colon) as DigestAlgorithm, hex: value.slice(colon + 1) };
}
