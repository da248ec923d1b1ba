import { Invalid } from '../errors.js';

/**
 * The mirror's tag patterns (Quay's root_rule rule_value): shell-style globs with the semantics of
 * Python's fnmatch.fnmatchcase, which Quay applies. `*` matches any run of characters, `?` one
 * character, `[seq]` one character in seq (with ranges such as `0-9`), `[!seq]` one character not
 * in seq; a `[` without a closing `]` is a literal. Matching is case-sensitive and covers the whole
 * tag. The pattern is interpreted by a small matcher, never turned into a regular expression.
 */

type CharRange = readonly [from: number, to: number];

type Token =
  | { kind: 'star' }
  | { kind: 'any' }
  | { kind: 'literal'; char: number }
  | { kind: 'set'; negated: boolean; ranges: readonly CharRange[] };

/** Throws Invalid for a pattern that cannot be a tag pattern: empty, or containing whitespace. */
export function validateTagPattern(pattern: string): void {
  if (pattern === '') throw new Invalid('input', 'A tag pattern must not be empty');
  if (/\s/.test(pattern)) throw new Invalid('input', `Tag pattern "${pattern}" must not contain whitespace`);
}

/** The characters of a bracket expression's contents, as fnmatch reads them: `a-z` ranges, `-` literal at either end. */
function bracketRanges(chars: readonly number[]): CharRange[] {
  const ranges: CharRange[] = [];
  const dash = '-'.codePointAt(0);
  let i = 0;
  while (i < chars.length) {
    const from = chars[i]!;
    if (chars[i + 1] === dash && i + 2 < chars.length) {
      const to = chars[i + 2]!;
      // fnmatch drops reversed ranges such as z-a: they match nothing.
      if (from <= to) ranges.push([from, to]);
      i += 3;
    } else {
      ranges.push([from, from]);
      i += 1;
    }
  }
  return ranges;
}

function tokenize(pattern: string): Token[] {
  const chars = Array.from(pattern, (c) => c.codePointAt(0)!);
  const at = (i: number) => (i < chars.length ? String.fromCodePoint(chars[i]!) : '');
  const tokens: Token[] = [];
  let i = 0;
  while (i < chars.length) {
    const c = at(i);
    i += 1;
    if (c === '*') {
      if (tokens[tokens.length - 1]?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?') {
      tokens.push({ kind: 'any' });
    } else if (c === '[') {
      // As fnmatch: an optional `!`, then a `]` right away is a member, then up to the next `]`.
      let j = i;
      if (at(j) === '!') j += 1;
      if (at(j) === ']') j += 1;
      while (j < chars.length && at(j) !== ']') j += 1;
      if (j >= chars.length) {
        tokens.push({ kind: 'literal', char: chars[i - 1]! });
        continue;
      }
      const negated = at(i) === '!';
      const contents = chars.slice(negated ? i + 1 : i, j);
      tokens.push({ kind: 'set', negated, ranges: bracketRanges(contents) });
      i = j + 1;
    } else {
      tokens.push({ kind: 'literal', char: chars[i - 1]! });
    }
  }
  return tokens;
}

function matchesOne(token: Exclude<Token, { kind: 'star' }>, char: number): boolean {
  switch (token.kind) {
    case 'any':
      return true;
    case 'literal':
      return token.char === char;
    case 'set':
      return token.ranges.some(([from, to]) => char >= from && char <= to) !== token.negated;
  }
}

/**
 * Glob matching with backtracking to the last `*` only: every other token consumes exactly one
 * character, so this takes at most tag length x pattern length steps, whatever the pattern.
 */
function matchesTokens(tag: string, tokens: readonly Token[]): boolean {
  const chars = Array.from(tag, (c) => c.codePointAt(0)!);
  let t = 0;
  let c = 0;
  let starToken = -1;
  let starChar = 0;
  while (c < chars.length) {
    const token = tokens[t];
    if (token !== undefined && token.kind === 'star') {
      starToken = t;
      starChar = c;
      t += 1;
    } else if (token !== undefined && matchesOne(token, chars[c]!)) {
      t += 1;
      c += 1;
    } else if (starToken >= 0) {
      t = starToken + 1;
      starChar += 1;
      c = starChar;
    } else {
      return false;
    }
  }
  while (tokens[t]?.kind === 'star') t += 1;
  return t === tokens.length;
}

export function tagMatchesPattern(tag: string, pattern: string): boolean {
  return matchesTokens(tag, tokenize(pattern));
}

/** The tags matching any of the patterns, each once, sorted. */
export function filterTags(tags: readonly string[], patterns: readonly string[]): string[] {
  const compiled = patterns.map(tokenize);
  const matched = new Set(tags.filter((tag) => compiled.some((tokens) => matchesTokens(tag, tokens))));
  return [...matched].sort();
}
