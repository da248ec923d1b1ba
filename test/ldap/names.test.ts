import { describe, expect, it } from 'vitest';
import { absoluteGroupDn, isWithinDn, joinDn, userSearchBases } from '../../src/auth/ldap/dn.js';
import { allOf, loginFilter, parenthesized } from '../../src/auth/ldap/filters.js';
import { ldapTlsOptions } from '../../src/auth/ldap/tls.js';
import { candidateNames, namespaceNameFromIdent } from '../../src/model/federated-logins.js';
import { validateNamespaceName } from '../../src/model/namespaces.js';

/** The pure parts of the LDAP support: DNs, filters, account names. No directory needed. */

describe('distinguished names', () => {
  it('joins list-form DNs with commas and accepts strings as they are', () => {
    expect(joinDn(['dc=example', 'dc=org'])).toBe('dc=example,dc=org');
    expect(joinDn('dc=example,dc=org')).toBe('dc=example,dc=org');
    expect(joinDn([])).toBe('');
    expect(joinDn(undefined)).toBe('');
  });

  it('searches the user RDN first, then the secondary RDNs, all under the base', () => {
    expect(userSearchBases('dc=example,dc=org', ['ou=people'], ['ou=contractors', ['ou=bots', 'ou=it']])).toEqual([
      'ou=people,dc=example,dc=org',
      'ou=contractors,dc=example,dc=org',
      'ou=bots,ou=it,dc=example,dc=org',
    ]);
    expect(userSearchBases('dc=example,dc=org', undefined, [])).toEqual(['dc=example,dc=org']);
  });

  it('compares DNs without regard to case or spaces', () => {
    expect(isWithinDn('UID=alice, OU=People,dc=example,dc=org', 'ou=people,dc=example,dc=org')).toBe(true);
    expect(isWithinDn('uid=alice,ou=people,dc=example,dc=org', 'ou=contractors,dc=example,dc=org')).toBe(false);
    expect(isWithinDn('uid=alice,ou=notpeople,dc=example,dc=org', 'ou=people,dc=example,dc=org')).toBe(false);
  });

  it('puts a relative group DN under the base and leaves a full one alone', () => {
    expect(absoluteGroupDn('cn=devs,ou=groups', 'dc=example,dc=org')).toBe('cn=devs,ou=groups,dc=example,dc=org');
    expect(absoluteGroupDn('cn=devs,ou=groups,DC=example,dc=org', 'dc=example,dc=org')).toBe(
      'cn=devs,ou=groups,DC=example,dc=org',
    );
  });
});

describe('search filters', () => {
  it('escapes the sign-in name so it cannot change the filter', () => {
    expect(loginFilter('uid', 'mail', 'alice')).toBe('(|(uid=alice)(mail=alice))');
    expect(loginFilter('uid', 'mail', '*)(uid=*')).toBe('(|(uid=\\2a\\29\\28uid=\\2a)(mail=\\2a\\29\\28uid=\\2a))');
  });

  it('wraps configured filters in parentheses and ANDs them', () => {
    expect(parenthesized('employeeType=admin')).toBe('(employeeType=admin)');
    expect(allOf('(uid=a)', undefined, 'employeeType=admin')).toBe('(&(uid=a)(employeeType=admin))');
    expect(allOf('(uid=a)')).toBe('(uid=a)');
    expect(allOf(undefined)).toBe('(objectClass=*)');
  });
});

describe('account names for directory users', () => {
  it.each([
    ['alice', 'alice'],
    ['Frank.Smith', 'frank.smith'],
    ['José Núñez', 'jose_nunez'],
    ['a..b--c', 'a_b_c'],
    ['_x_', 'x0'],
    ['!!!', 'user'],
    ['DOMAIN\\jdoe', 'domain_jdoe'],
  ])('%s becomes %s', (ident, expected) => {
    expect(namespaceNameFromIdent(ident)).toBe(expected);
    expect(() => validateNamespaceName(expected)).not.toThrow();
  });

  it('keeps long identifiers valid with room for a suffix', () => {
    const name = namespaceNameFromIdent('x'.repeat(400));
    expect(name.length).toBeLessThanOrEqual(251);
    expect(() => validateNamespaceName(`${name}-100`)).not.toThrow();
  });

  it('offers alice, then alice-1, alice-2, ...', () => {
    const names = [...candidateNames('Alice')];
    expect(names.slice(0, 3)).toEqual(['alice', 'alice-1', 'alice-2']);
    expect(names.length).toBe(101);
  });
});

describe('TLS options for ldaps://', () => {
  it('keeps the system roots when extra CA certificates are added', () => {
    const options = ldapTlsOptions(['-----BEGIN CERTIFICATE-----\nextra\n-----END CERTIFICATE-----\n'], false);
    expect(options.rejectUnauthorized).toBe(true);
    expect(Array.isArray(options.ca) && options.ca.length).toBeGreaterThan(1);
  });

  it('uses the defaults without extra certificates, and relaxes verification only on request', () => {
    expect(ldapTlsOptions([], false)).toEqual({ rejectUnauthorized: true });
    expect(ldapTlsOptions([], true)).toEqual({ rejectUnauthorized: false });
  });
});
