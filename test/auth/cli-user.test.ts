import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerUserCommands } from '../../src/cli/user.js';
import { findUser } from '../../src/model/users.js';
import { verifyPassword } from '../../src/auth/passwords.js';
import { testDialects } from '../helpers/databases.js';
import { openTestDatabase, type TestDatabase } from './support.js';

class ProcessExit extends Error {
  constructor(readonly code: number | undefined) {
    super(`process.exit(${code})`);
  }
}

interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

describe.each(testDialects())('quayside user create (%s)', (dialect) => {
  let t: TestDatabase;
  let instanceArgs: string[];

  async function run(args: string[], instance: string[] = instanceArgs): Promise<RunResult> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void stdout.push(parts.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void stderr.push(parts.join(' ')));
    vi.spyOn(process, 'exit').mockImplementation((code?: string | number | null) => {
      throw new ProcessExit(code === undefined || code === null ? undefined : Number(code));
    });
    const program = new Command('quayside').exitOverride();
    program.configureOutput({ writeOut: (s) => void stdout.push(s), writeErr: (s) => void stderr.push(s) });
    registerUserCommands(program);
    let exitCode = 0;
    try {
      await program.parseAsync(['node', 'quayside', 'user', 'create', ...args, ...instance]);
    } catch (err) {
      if (err instanceof ProcessExit) exitCode = err.code ?? 0;
      else if (err instanceof Error && 'exitCode' in err) exitCode = Number(err.exitCode);
      else throw err;
    }
    return { exitCode, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
  }

  beforeAll(async () => {
    t = await openTestDatabase(dialect);
    instanceArgs = ['--data-dir', t.dataDir];
    if (t.dbUri) {
      const configDir = path.join(t.dataDir, 'conf');
      await mkdir(configDir, { recursive: true });
      await writeFile(path.join(configDir, 'config.yaml'), `DB_URI: ${t.dbUri}\n`);
      instanceArgs.push('--config-dir', configDir);
    }
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates a user in the instance the options name', async () => {
    const result = await run(['alice', '--password', 'alice-password', '--email', 'alice@example.com']);
    expect(result).toMatchObject({ exitCode: 0, stdout: 'created user alice' });
    const user = await findUser(t.db, 'alice');
    expect(user).toMatchObject({ email: 'alice@example.com', superuser: 0 });
    expect(await verifyPassword('alice-password', user!.password_hash)).toBe(true);
  });

  it('creates superusers with --superuser', async () => {
    expect((await run(['root', '--password', 'root-password', '--superuser'])).exitCode).toBe(0);
    expect((await findUser(t.db, 'root'))?.superuser).toBe(1);
  });

  it('exits non-zero with a clear message for a short password', async () => {
    const result = await run(['bob', '--password', 'short']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toBe('quayside: password must be at least 8 characters long');
    expect(await findUser(t.db, 'bob')).toBeUndefined();
  });

  it('exits non-zero when the name is taken', async () => {
    const result = await run(['alice', '--password', 'another-password']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/^quayside: .*already taken/);
  });

  it('exits non-zero for an invalid name', async () => {
    const result = await run(['Alice!', '--password', 'another-password']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/^quayside: invalid namespace name/);
  });

  it('requires --password', async () => {
    const result = await run(['carol']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/--password/);
  });

  it('reports a broken configuration', async () => {
    const configDir = path.join(t.dataDir, 'broken-conf');
    await mkdir(configDir, { recursive: true });
    await writeFile(path.join(configDir, 'config.yaml'), 'TOKEN_VALIDITY_LIFETIME_S: "soon"\n');
    const result = await run(['dave', '--password', 'dave-password'], ['--data-dir', t.dataDir, '--config-dir', configDir]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/^quayside: invalid configuration:[\s\S]*TOKEN_VALIDITY_LIFETIME_S/);
  });
});
