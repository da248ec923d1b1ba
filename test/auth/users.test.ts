import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/passwords.js';
import { Conflict, Invalid } from '../../src/errors.js';
import { createNamespace } from '../../src/model/namespaces.js';
import {
  countUsers,
  createFirstUser,
  createUser,
  findUser,
  hasAnyAccount,
  isSuperuser,
  parseDurationSeconds,
} from '../../src/model/users.js';
import { testDialects } from '../helpers/databases.js';
import { openTestDatabase, type TestDatabase } from './support.js';

describe('parseDurationSeconds', () => {
  it.each([
    ['0s', 0],
    ['90s', 90],
    ['30m', 1800],
    ['2h', 7200],
    ['1d', 86_400],
    ['2w', 1_209_600],
  ])('%s is %i seconds', (text, seconds) => {
    expect(parseDurationSeconds(text)).toBe(seconds);
  });

  it('rejects other text', () => {
    expect(() => parseDurationSeconds('2 weeks')).toThrow(Invalid);
    expect(() => parseDurationSeconds('w')).toThrow(Invalid);
  });
});

describe.each(testDialects())('user accounts (%s)', (dialect) => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await openTestDatabase(dialect, { DEFAULT_TAG_EXPIRATION: '1w', SUPER_USERS: ['root'] });
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates an enabled user with a hashed password and the default tag expiration', async () => {
    const user = await createUser(t.db, t.config, { name: 'alice', password: 'alice-password', email: 'alice@example.com' });
    expect(user).toMatchObject({ name: 'alice', kind: 'user', email: 'alice@example.com', enabled: 1, superuser: 0 });
    expect(user.removed_tag_expiration_s).toBe(604_800);
    expect(user.password_hash).not.toBe('alice-password');
    expect(await verifyPassword('alice-password', user.password_hash)).toBe(true);
    expect(isSuperuser(t.config, user)).toBe(false);
  });

  it('stores the superuser flag', async () => {
    const user = await createUser(t.db, t.config, { name: 'admin', password: 'admin-password', superuser: true });
    expect(user.superuser).toBe(1);
    expect(isSuperuser(t.config, user)).toBe(true);
    expect((await findUser(t.db, 'admin'))?.superuser).toBe(1);
  });

  it('treats users named in SUPER_USERS as superusers', async () => {
    const user = await createUser(t.db, t.config, { name: 'root', password: 'root-password' });
    expect(user.superuser).toBe(0);
    expect(isSuperuser(t.config, user)).toBe(true);
  });

  it.each([
    ['Alice', 'an upper-case name'],
    ['a', 'a one-character name'],
    ['bad name', 'a space'],
    ['x+robot', 'a plus sign'],
  ])('rejects %s (%s)', async (name) => {
    await expect(createUser(t.db, t.config, { name, password: 'long-enough' })).rejects.toBeInstanceOf(Invalid);
  });

  it('requires passwords of 8 characters up to 72 bytes', async () => {
    await expect(createUser(t.db, t.config, { name: 'shorty', password: 'short12' })).rejects.toThrow(/at least 8/);
    await expect(createUser(t.db, t.config, { name: 'longy', password: 'x'.repeat(73) })).rejects.toThrow(/at most 72/);
    expect(await findUser(t.db, 'shorty')).toBeUndefined();
    await expect(createUser(t.db, t.config, { name: 'shorty', password: '8chars!!' })).resolves.toMatchObject({
      name: 'shorty',
    });
  });

  it('rejects malformed e-mail addresses', async () => {
    for (const email of ['no-at-sign', 'a@b', 'a b@example.com', '@example.com']) {
      await expect(createUser(t.db, t.config, { name: 'mailer', password: 'long-enough', email })).rejects.toThrow(
        Invalid,
      );
    }
  });

  it('refuses a taken name, also when an organization holds it', async () => {
    await expect(createUser(t.db, t.config, { name: 'alice', password: 'another-password' })).rejects.toBeInstanceOf(
      Conflict,
    );
    await createNamespace(t.db, { name: 'acme', kind: 'organization', removedTagExpirationS: 0 });
    await expect(createUser(t.db, t.config, { name: 'acme', password: 'another-password' })).rejects.toBeInstanceOf(
      Conflict,
    );
  });

  it('refuses an e-mail address another user has', async () => {
    await expect(
      createUser(t.db, t.config, { name: 'alice2', password: 'another-password', email: 'alice@example.com' }),
    ).rejects.toThrow(/already used/);
  });

  it('finds users but not organizations, and counts only users', async () => {
    expect((await findUser(t.db, 'alice'))?.name).toBe('alice');
    expect(await findUser(t.db, 'acme')).toBeUndefined();
    expect(await findUser(t.db, 'nobody')).toBeUndefined();
    expect(await countUsers(t.db)).toBe(4); // alice, admin, root, shorty
  });

  it('creates a first user only in an empty database', async () => {
    expect(await hasAnyAccount(t.db)).toBe(true);
    await expect(createFirstUser(t.db, t.dialect, t.config, { name: 'first', password: 'first-password' })).resolves.toBe(
      undefined,
    );
    expect(await findUser(t.db, 'first')).toBeUndefined();
  });
});

describe.each(testDialects())('first user (%s)', (dialect) => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await t.close();
  });

  it('does not create a first user while another transaction is adding an account', async () => {
    expect(await hasAnyAccount(t.db)).toBe(false);
    let signalInserted!: () => void;
    let release!: () => void;
    const inserted = new Promise<void>((resolve) => {
      signalInserted = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const competitor = t.db.transaction().execute(async (trx) => {
      await createNamespace(trx, { name: 'early', kind: 'organization', removedTagExpirationS: 0 });
      signalInserted();
      await released;
    });
    await inserted;
    const initializer = createFirstUser(t.db, t.dialect, t.config, { name: 'first', password: 'first-password' });
    // Give the initializer time to hash and reach its transaction while the competitor is uncommitted.
    await new Promise((resolve) => setTimeout(resolve, 500));
    release();
    await competitor;
    await expect(initializer).resolves.toBeUndefined();
    expect(await findUser(t.db, 'first')).toBeUndefined();
  });
});
