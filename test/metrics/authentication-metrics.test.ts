import { afterEach, describe, expect, it } from 'vitest';
import { ServerProcess } from '../helpers/server-process.js';

/** quay_authentication_attempts_total, read from the real Prometheus endpoint of `quayside serve`. */

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

function counterValue(text: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`quay_authentication_attempts_total{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

async function scrape(server: ServerProcess): Promise<string> {
  expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const res = await fetch(server.metricsUrl!);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

async function authenticate(server: ServerProcess): Promise<void> {
  const v2 = `${server.url}/v2/`;
  expect((await fetch(v2, { headers: { authorization: basic('alice', 'alice-password') } })).status).toBe(200);
  expect((await fetch(v2, { headers: { authorization: basic('alice', 'wrong-password') } })).status).toBe(401);
  expect((await fetch(v2, { headers: { authorization: basic('nobody', 'whatever-pass') } })).status).toBe(401);
  const token = await fetch(`${server.url}/v2/auth?service=${server.host}`, {
    headers: { authorization: basic('alice', 'alice-password') },
  });
  expect(token.status).toBe(200);
}

describe('quay_authentication_attempts_total', () => {
  let server: ServerProcess | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each([1, 2])('counts every attempt by kind and outcome (%i process(es))', async (processes) => {
    server = await ServerProcess.start({ processes });
    await server.createUser('alice', 'alice-password');
    const before = await scrape(server);
    expect(before).toContain('# TYPE quay_authentication_attempts_total counter');
    await authenticate(server);
    const after = await scrape(server);
    const delta = (labels: string) => counterValue(after, labels) - counterValue(before, labels);
    expect(delta('auth_kind="basic",success="True"')).toBe(1);
    expect(delta('auth_kind="basic",success="False"')).toBe(2);
    expect(delta('auth_kind="credentials",success="True"')).toBe(1);
  });
});
