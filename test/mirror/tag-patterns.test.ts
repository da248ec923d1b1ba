import { describe, expect, it } from 'vitest';
import { Invalid } from '../../src/errors.js';
import { filterTags, tagMatchesPattern, validateTagPattern } from '../../src/mirror/tag-patterns.js';

// The tag universe of the mirroring manual's examples.
const TAGS = ['v32', 'v3.1', 'v3.2', 'v3.2-4beta', 'v3.3'];

describe('tag patterns (fnmatch.fnmatchcase semantics)', () => {
  it.each([
    ['v3*', ['v3.1', 'v3.2', 'v3.2-4beta', 'v3.3', 'v32']],
    // The manual lists only v3.1, v3.2 and v3.2-4beta for v3.*, but fnmatch (which Quay applies)
    // also matches v3.3: the manual's list is incomplete, fnmatch's answer is asserted.
    ['v3.*', ['v3.1', 'v3.2', 'v3.2-4beta', 'v3.3']],
    ['v3.?', ['v3.1', 'v3.2', 'v3.3']],
    ['v3.[12]', ['v3.1', 'v3.2']],
    ['v3.[12]*', ['v3.1', 'v3.2', 'v3.2-4beta']],
    ['v3.[!1]*', ['v3.2', 'v3.2-4beta', 'v3.3']],
  ])('the documented example %s', (pattern, expected) => {
    expect(filterTags(TAGS, [pattern])).toEqual(expected);
  });

  it('matches the whole tag, case-sensitively', () => {
    expect(tagMatchesPattern('latest', 'latest')).toBe(true);
    expect(tagMatchesPattern('latest-1', 'latest')).toBe(false);
    expect(tagMatchesPattern('xlatest', 'latest')).toBe(false);
    expect(tagMatchesPattern('Latest', 'latest')).toBe(false);
    expect(tagMatchesPattern('V3.1', 'v3*')).toBe(false);
  });

  it('reads ranges, negation and literal brackets as fnmatch does', () => {
    expect(tagMatchesPattern('v7', 'v[0-9]')).toBe(true);
    expect(tagMatchesPattern('va', 'v[0-9]')).toBe(false);
    expect(tagMatchesPattern('va', 'v[!0-9]')).toBe(true);
    expect(tagMatchesPattern('v-', 'v[a-]')).toBe(true); // a trailing - is literal
    expect(tagMatchesPattern('v-', 'v[-a]')).toBe(true); // so is a leading one
    expect(tagMatchesPattern('v]', 'v[]]')).toBe(true); // ] right after [ is a member
    expect(tagMatchesPattern('vx', 'v[!]]')).toBe(true);
    expect(tagMatchesPattern('v]', 'v[!]]')).toBe(false);
    expect(tagMatchesPattern('v[1', 'v[1')).toBe(true); // no closing ]: a literal [
    expect(tagMatchesPattern('v1', 'v[1')).toBe(false);
    expect(tagMatchesPattern('vb', 'v[z-a]')).toBe(false); // a reversed range matches nothing
    expect(tagMatchesPattern('v', 'v[z-a]')).toBe(false);
  });

  it('treats regular-expression syntax as literal characters', () => {
    expect(tagMatchesPattern('v1.0', 'v1.0')).toBe(true);
    expect(tagMatchesPattern('v1x0', 'v1.0')).toBe(false);
    expect(tagMatchesPattern('a+b', 'a+b')).toBe(true);
    expect(tagMatchesPattern('aab', 'a+b')).toBe(false);
    expect(tagMatchesPattern('x', '(x|y)')).toBe(false);
    expect(tagMatchesPattern('(x|y)', '(x|y)')).toBe(true);
    expect(tagMatchesPattern('a\\b', 'a\\b')).toBe(true);
    expect(tagMatchesPattern('$^', '$^')).toBe(true);
  });

  it('handles stars anywhere, and many stars without blowing up', () => {
    expect(tagMatchesPattern('', '*')).toBe(true);
    expect(tagMatchesPattern('abc', '*b*')).toBe(true);
    expect(tagMatchesPattern('abc', 'a**c')).toBe(true);
    expect(tagMatchesPattern('abcb', '*b')).toBe(true);
    expect(tagMatchesPattern('abca', '*b')).toBe(false);
    expect(tagMatchesPattern('a'.repeat(128), `${'*a'.repeat(30)}*b`)).toBe(false);
  });

  it('takes the union of several patterns, each tag once, sorted', () => {
    expect(filterTags(TAGS, ['v3.[12]', 'v3.?', 'v32'])).toEqual(['v3.1', 'v3.2', 'v3.3', 'v32']);
    expect(filterTags(['b', 'a', 'b'], ['*'])).toEqual(['a', 'b']);
    expect(filterTags(TAGS, [])).toEqual([]);
  });

  it('refuses empty patterns and patterns with whitespace', () => {
    expect(() => validateTagPattern('')).toThrow(Invalid);
    expect(() => validateTagPattern('v 1')).toThrow(Invalid);
    expect(() => validateTagPattern('v\t1')).toThrow(/whitespace/);
    expect(() => validateTagPattern('v3.[!1]*')).not.toThrow();
  });
});
