import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = path.resolve('bin/quayside.js');

function quayside(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'quayside-cli-'));
}

describe('quayside CLI', () => {
  it('validates a good config and names the key of a bad one', async () => {
    const good = await tempDir();
    await writeFile(path.join(good, 'config.yaml'), 'SERVER_HOSTNAME: localhost:8080\n');
    const ok = quayside('config', 'validate', '--config-dir', good, '--data-dir', await tempDir());
    expect(ok.stdout).toContain('configuration is valid');
    expect(ok.code).toBe(0);

    const bad = await tempDir();
    await writeFile(path.join(bad, 'config.yaml'), 'PREFERRED_URL_SCHEME: gopher\n');
    const failed = quayside('config', 'validate', '--config-dir', bad, '--offline');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('PREFERRED_URL_SCHEME');
    expect(failed.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('checks storage driver parameters even offline', async () => {
    const dir = await tempDir();
    await writeFile(
      path.join(dir, 'config.yaml'),
      'DISTRIBUTED_STORAGE_CONFIG:\n  s3: [S3Storage, {storage_path: /r}]\nDISTRIBUTED_STORAGE_PREFERENCE: [s3]\n',
    );
    const result = quayside('config', 'validate', '--config-dir', dir, '--offline');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('DISTRIBUTED_STORAGE_CONFIG');
    expect(result.stderr).toContain('s3_bucket');
  });

  it('reports an unreachable database in online validation', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'config.yaml'), 'DB_URI: postgresql://nobody@127.0.0.1:1/none\n');
    const result = quayside('config', 'validate', '--config-dir', dir, '--data-dir', await tempDir());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('DB_URI');
  });

  it('migrates once and then reports the database current', async () => {
    const data = await tempDir();
    const first = quayside('migrate', '--data-dir', data);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/applied \d+ migration/);
    const second = quayside('migrate', '--data-dir', data);
    expect(second.stdout).toContain('database is up to date');
  });

  it('creates users and refuses duplicates and bad names with a message', async () => {
    const data = await tempDir();
    const created = quayside('user', 'create', 'carol', '--password', 'carol-password-1', '--data-dir', data);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('carol');
    const again = quayside('user', 'create', 'carol', '--password', 'carol-password-1', '--data-dir', data);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/carol/);
    const badName = quayside('user', 'create', 'Bad Name', '--password', 'whatever-123', '--data-dir', data);
    expect(badName.code).not.toBe(0);
    expect(badName.stderr).toMatch(/name/i);
  });

  it('rejects a bad port and an unknown subcommand', () => {
    const port = quayside('serve', '--port', 'eighty');
    expect(port.code).toBe(1);
    expect(port.stderr).toContain('--port');
    const unknown = quayside('frobnicate');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown command/);
  });
});
