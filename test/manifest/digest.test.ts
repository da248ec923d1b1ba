import { describe, expect, it } from 'vitest';
import { Invalid } from '../../src/errors.js';
import { computeDigest, isDigest, parseDigest } from '../../src/manifest/index.js';
import { thrownBy } from './fixtures.js';

const SHA256_OF_EMPTY = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SHA256_OF_ABC = 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('computeDigest', () => {
  it('hashes the exact bytes with sha256 by default', () => {
    expect(computeDigest(Buffer.alloc(0))).toBe(SHA256_OF_EMPTY);
    expect(computeDigest(Buffer.from('abc'))).toBe(SHA256_OF_ABC);
  });

  it('hashes strings as UTF-8, the same as their bytes', () => {
    expect(computeDigest('abc')).toBe(SHA256_OF_ABC);
    expect(computeDigest('é')).toBe(computeDigest(Buffer.from([0xc3, 0xa9])));
  });

  it('supports sha512', () => {
    const digest = computeDigest('abc', 'sha512');
    expect(digest).toMatch(/^sha512:[0-9a-f]{128}$/);
    expect(digest.startsWith('sha512:ddaf35a193617aba')).toBe(true);
  });
});

describe('parseDigest / isDigest', () => {
  it('splits a valid sha256 and sha512 digest', () => {
    expect(parseDigest(SHA256_OF_ABC)).toEqual({ algorithm: 'sha256', hex: SHA256_OF_ABC.slice(7) });
    const sha512 = computeDigest('abc', 'sha512');
    expect(parseDigest(sha512)).toEqual({ algorithm: 'sha512', hex: sha512.slice(7) });
    expect(isDigest(SHA256_OF_ABC)).toBe(true);
  });

  it.each([
    ['uppercase hex', SHA256_OF_ABC.toUpperCase().replace('SHA256', 'sha256'), /lowercase hex/],
    ['too short', 'sha256:abc', /64 lowercase hex/],
    ['sha512 with sha256 length', `sha512:${'a'.repeat(64)}`, /128 lowercase hex/],
    ['unknown algorithm', `md5:${'a'.repeat(32)}`, /unsupported algorithm "md5"/],
    ['no algorithm', 'a'.repeat(64), /<algorithm>:<hex>/],
    ['empty', '', /<algorithm>:<hex>/],
  ])('rejects %s with Invalid(digest)', (_name, value, message) => {
    const err = thrownBy(() => parseDigest(value));
    expect(err).toBeInstanceOf(Invalid);
    expect((err as Invalid).what).toBe('digest');
    expect(err.message).toMatch(message);
    expect(isDigest(value)).toBe(false);
  });
});
