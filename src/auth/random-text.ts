import { randomInt } from 'node:crypto';

/** Letters and digits, the characters of Quay's app-specific and OAuth tokens. */
export const LETTERS_AND_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Upper-case letters and digits, the characters of Quay's robot tokens. */
export const UPPER_CASE_LETTERS_AND_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** `length` characters drawn uniformly from `alphabet` by the cryptographic random generator: tokens and generated passwords. */
export function randomText(length: number, alphabet: string = LETTERS_AND_DIGITS): string {
  let text = '';
  for (let i = 0; i < length; i++) text += alphabet[randomInt(alphabet.length)];
  return text;
}
