import { afterEach, describe, expect, it } from 'vitest';
import { ServerProcess } from '../helpers/server-process.js';
import { matching, type Sample, scrapeSamples, sumOf } from './prometheus-text.js';

/** quay_authentication_attempts_total, read from the real Prometheus endpoint of `quayside serve`. */

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

async function scrape(server: ServerProcess): Promise<Sample[]> {
  expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  return scrapeSamples(server.metricsUrl!);
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
    await authenticate(server);
    const after = await scrape(server);
    const delta = (auth_kind: string, success: string) =>
      sumOf(after, 'quay_authentication_attempts_total', { auth_kind, success }) -
      sumOf(before, 'quay_authentication_attempts_total', { auth_kind, success });
    expect(delta('basic', 'True')).toBe(1);
    expect(delta('basic', 'False')).toBe(2);
    expect(delta('credentials', 'True')).toBe(1);
    // Every HTTP process reports as "serve", each under its own pid; database gauges are read at
    // scrape time in each of them (through the cluster aggregation when forked).
    const userRows = matching(after, 'quay_user_rows');
    expect(userRows).toHaveLength(processes);
    for (const sample of userRows) {
      expect(sample.value).toBe(1);
      expect(sample.labels['process_name']).toBe('serve');
      expect(sample.labels['host']).toBeTruthy();
    }
    expect(new Set(userRows.map((sample) => sample.labels['pid'])).size).toBe(processes);
  });
});
