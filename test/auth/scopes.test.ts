import { describe, expect, it } from 'vitest';
import { parseScope, parseScopeParams } from '../../src/auth/scopes.js';
import { Invalid } from '../../src/errors.js';

describe('token scope parsing', () => {
  it('parses a repository scope with several actions', () => {
    expect(parseScope('repository:alice/app:pull,push')).toEqual({
      type: 'repository',
      name: 'alice/app',
      actions: ['pull', 'push'],
    });
  });

  it('keeps nested and single-component names as requested', () => {
    expect(parseScope('repository:org/team/app:pull').name).toBe('org/team/app');
    expect(parseScope('repository:busybox:pull').name).toBe('busybox');
  });

  it('accepts * and removes duplicate actions', () => {
    expect(parseScope('repository:a/b:*').actions).toEqual(['*']);
    expect(parseScope('repository:a/b:pull,pull,push').actions).toEqual(['pull', 'push']);
  });

  it('strips our own host prefix, including one with a port', () => {
    expect(parseScope('repository:registry.example.com:8443/alice/app:pull', 'registry.example.com:8443').name).toBe(
      'alice/app',
    );
    expect(parseScope('repository:localhost/alice/app:pull', 'localhost').name).toBe('alice/app');
  });

  it('leaves a foreign host prefix in the name (the name check rejects it later)', () => {
    expect(parseScope('repository:other.example:5000/alice/app:pull', 'registry.example.com').name).toBe(
      'other.example:5000/alice/app',
    );
  });

  it('parses registry:catalog:*', () => {
    expect(parseScope('registry:catalog:*')).toEqual({ type: 'registry', name: 'catalog', actions: ['*'] });
  });

  it.each([
    'repository(plugin):alice/app:pull',
    'repository:alice/app',
    'repository:alice/app:',
    'repository::pull',
    'repository:alice/app:pull,,push',
    'repository:alice/app:PULL',
    'registry:catalog:pull',
    'registry:other:*',
    'artifact:alice/app:pull',
    'nonsense',
  ])('rejects %s', (scope) => {
    expect(() => parseScope(scope)).toThrow(Invalid);
  });

  it('accepts repeated params and several scopes per param', () => {
    const scopes = parseScopeParams(['repository:a/b:pull repository:c/d:push', 'registry:catalog:*']);
    expect(scopes.map((s) => `${s.type}:${s.name}:${s.actions.join(',')}`)).toEqual([
      'repository:a/b:pull',
      'repository:c/d:push',
      'registry:catalog:*',
    ]);
  });

  it('treats a missing or empty parameter as no scope', () => {
    expect(parseScopeParams(undefined)).toEqual([]);
    expect(parseScopeParams('')).toEqual([]);
    expect(parseScopeParams(['', '  '])).toEqual([]);
  });

  it('rejects the whole request when one scope is malformed', () => {
    expect(() => parseScopeParams(['repository:a/b:pull', 'bogus'])).toThrow(/bogus/);
  });
});
