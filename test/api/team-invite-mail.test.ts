import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, expectApiError, expectStatus, sessionClient } from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { createUsers } from '../helpers/fixtures.js';
import { decodedMail, mailSubject, type ReceivedMail, startSmtpServer } from '../helpers/smtp.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/**
 * With FEATURE_MAILING, inviting a user or an address to a team e-mails them the link to accept
 * (Quay's /confirminvite?code=…), through a real SMTP server; the invitation stands when mail fails.
 */

const PASSWORD = 'invite-mail-Pa55word!';
const MAIL_PASSWORD = 'smtp-secret-Pa55word!';

/** A port on 127.0.0.1 where nothing listens (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The message with quoted-printable soft breaks and escapes undone. */
/** The invitation code of the accept link in the mail. */
function acceptCode(mail: ReceivedMail, baseUrl: string): string {
  const escaped = baseUrl.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = new RegExp(`${escaped}/confirminvite\\?code=([A-Za-z0-9_-]+)`).exec(decodedMail(mail.raw));
  expect(match, `no accept link under ${baseUrl} in:\n${decodedMail(mail.raw)}`).not.toBeNull();
  return match![1]!;
}

function memberNames(body: { members: { name?: string; email?: string; invited: boolean }[] }, invited: boolean): string[] {
  return body.members
    .filter((m) => m.invited === invited)
    .map((m) => m.name ?? m.email ?? '')
    .sort();
}

/** A log destination that keeps every line. */
function logCapture(): { lines: string[]; destination: Writable } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, destination };
}

describe.each(testDialects())('team invitation e-mail (%s)', (dialect) => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let registry: TestRegistry;
  let alice: ApiClient;
  let bob: ApiClient;
  let carol: ApiClient;

  async function inviteTokens(): Promise<string[]> {
    const rows = await registry.ctx.db.selectFrom('team_invite').select('token').execute();
    return rows.map((r) => r.token);
  }

  beforeAll(async () => {
    smtp = await startSmtpServer();
    registry = await startTestRegistry({
      dialect,
      overrides: {
        FEATURE_MAILING: true,
        MAIL_SERVER: '127.0.0.1',
        MAIL_PORT: smtp.port,
        MAIL_USE_TLS: false,
        MAIL_DEFAULT_SENDER: 'registry@example.com',
        REGISTRY_TITLE: 'Quayside Test',
      },
    });
    await createUsers(registry, ['alice', 'bob', 'carol', 'dave'], PASSWORD);
    alice = await sessionClient(registry, 'alice');
    bob = await sessionClient(registry, 'bob');
    carol = await sessionClient(registry, 'carol');
    expectStatus(await alice.post('/api/v1/organization/', { name: 'acme', email: 'acme@example.com' }), 201);
    expectStatus(await alice.put('/api/v1/organization/acme/team/crew', { role: 'member' }), 200);
  });
  afterAll(async () => {
    await registry?.close();
    await smtp?.close();
  });

  it('e-mails a user invited to a team the link to accept, which joins them to the team', async () => {
    const before = smtp.mails.length;
    const res = await alice.put('/api/v1/organization/acme/team/crew/members/bob');
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ name: 'bob', invited: true });

    expect(smtp.mails).toHaveLength(before + 1);
    const mail = smtp.mails[before]!;
    expect(mail.to).toEqual(['bob@example.com']);
    expect(mailSubject(mail.raw)).toBe('[Quayside Test] alice invited you to join team crew of acme');
    const text = decodedMail(mail.raw);
    expect(text).toContain('"crew"');
    expect(text).toContain('"acme"');
    const code = acceptCode(mail, registry.url);
    expect(text).toContain(`PUT /api/v1/teaminvite/${code}`);

    const pending = await alice.get('/api/v1/organization/acme/team/crew/members?includePending=true');
    expectStatus(pending, 200);
    expect(memberNames(pending.body, true)).toEqual(['bob']);
    // Quay's member listing does not show invitation codes: the one mailed is the one stored.
    expect(await inviteTokens()).toEqual([code]);

    const accepted = await bob.put(`/api/v1/teaminvite/${code}`);
    expectStatus(accepted, 200);
    expect(accepted.body).toEqual({ org: 'acme', team: 'crew' });
    const after = await alice.get('/api/v1/organization/acme/team/crew/members?includePending=true');
    expect(memberNames(after.body, false)).toEqual(['bob']);
    expect(memberNames(after.body, true)).toEqual([]);
  });

  it('e-mails an invited address, and the account with that address accepts', async () => {
    const before = smtp.mails.length;
    const res = await alice.put('/api/v1/organization/acme/team/crew/invite/carol@example.com');
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ email: 'carol@example.com', kind: 'invite', invited: true });

    expect(smtp.mails).toHaveLength(before + 1);
    const mail = smtp.mails[before]!;
    expect(mail.to).toEqual(['carol@example.com']);
    expect(mailSubject(mail.raw)).toBe('[Quayside Test] alice invited you to join team crew of acme');
    const code = acceptCode(mail, registry.url);

    const pending = await alice.get('/api/v1/organization/acme/team/crew/members?includePending=true');
    expect(memberNames(pending.body, true)).toEqual(['carol@example.com']);
    expect(await inviteTokens()).toEqual([code]);

    expectStatus(await carol.put(`/api/v1/teaminvite/${code}`), 200);
    const after = await alice.get('/api/v1/organization/acme/team/crew/members?includePending=true');
    expect(memberNames(after.body, false)).toEqual(['bob', 'carol']);
    expect(memberNames(after.body, true)).toEqual([]);
  });

  it('sends nothing when the invitation is refused', async () => {
    const before = smtp.mails.length;
    expectApiError(await bob.put('/api/v1/organization/acme/team/crew/invite/erin@example.com'), 403);
    expectApiError(await bob.put('/api/v1/organization/acme/team/crew/members/dave'), 403);
    expectApiError(await alice.put('/api/v1/organization/acme/team/ghosts/invite/erin@example.com'), 404);
    expectApiError(await alice.put('/api/v1/organization/acme/team/crew/invite/not-an-address'), 400);
    expectApiError(await alice.put('/api/v1/organization/acme/team/crew/members/nobody'), 400);
    expect(smtp.mails).toHaveLength(before);
    expect(await inviteTokens()).toEqual([]);
  });

  it('sends nothing when a member of the organization is added directly', async () => {
    expectStatus(await alice.put('/api/v1/organization/acme/team/tools', { role: 'member' }), 200);
    const before = smtp.mails.length;
    const res = await alice.put('/api/v1/organization/acme/team/tools/members/bob');
    expect(res.body).toMatchObject({ name: 'bob', invited: false });
    expect(smtp.mails).toHaveLength(before);
  });
});

describe.each(testDialects())('team invitation e-mail with SERVER_HOSTNAME (%s)', (dialect) => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let registry: TestRegistry;
  let alice: ApiClient;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    registry = await startTestRegistry({
      dialect,
      overrides: {
        FEATURE_MAILING: true,
        MAIL_SERVER: '127.0.0.1',
        MAIL_PORT: smtp.port,
        MAIL_USE_TLS: false,
        SERVER_HOSTNAME: 'registry.example.com',
        PREFERRED_URL_SCHEME: 'https',
      },
    });
    await createUsers(registry, ['alice', 'bob'], PASSWORD);
    alice = await sessionClient(registry, 'alice');
    expectStatus(await alice.post('/api/v1/organization/', { name: 'acme', email: 'acme@example.com' }), 201);
    expectStatus(await alice.put('/api/v1/organization/acme/team/crew', { role: 'member' }), 200);
  });
  afterAll(async () => {
    await registry?.close();
    await smtp?.close();
  });

  it("links to the registry's configured address", async () => {
    expectStatus(await alice.put('/api/v1/organization/acme/team/crew/members/bob'), 200);
    expect(smtp.mails).toHaveLength(1);
    const code = acceptCode(smtp.mails[0]!, 'https://registry.example.com');
    const stored = await registry.ctx.db.selectFrom('team_invite').select('token').execute();
    expect(stored.map((r) => r.token)).toEqual([code]);
  });
});

describe.each(testDialects())('team invitations when mail cannot be sent (%s)', (dialect) => {
  const unreachable = { registry: undefined as unknown as TestRegistry, log: logCapture() };
  const unconfigured = { registry: undefined as unknown as TestRegistry, log: logCapture() };

  beforeAll(async () => {
    unreachable.registry = await startTestRegistry({
      dialect,
      overrides: {
        FEATURE_MAILING: true,
        MAIL_SERVER: '127.0.0.1',
        MAIL_PORT: await closedPort(),
        MAIL_USE_TLS: false,
        MAIL_USE_AUTH: true,
        MAIL_USERNAME: 'registry',
        MAIL_PASSWORD,
      },
      log: { level: 'warn', destination: unreachable.log.destination },
    });
    unconfigured.registry = await startTestRegistry({
      dialect,
      overrides: { FEATURE_MAILING: true },
      log: { level: 'warn', destination: unconfigured.log.destination },
    });
  });
  afterAll(async () => {
    await unreachable.registry?.close();
    await unconfigured.registry?.close();
  });

  it.each([
    ['the mail server is unreachable', unreachable, /e-mail could not be sent/],
    ['MAIL_SERVER is not set', unconfigured, /MAIL_SERVER is not set/],
  ])('still creates the invitation when %s, and logs a warning without secrets', async (_case, setup, warning) => {
    const { registry, log } = setup;
    await createUsers(registry, ['alice', 'bob', 'carol'], PASSWORD);
    const alice = await sessionClient(registry, 'alice');
    expectStatus(await alice.post('/api/v1/organization/', { name: 'acme', email: 'acme@example.com' }), 201);
    expectStatus(await alice.put('/api/v1/organization/acme/team/crew', { role: 'member' }), 200);

    const invited = await alice.put('/api/v1/organization/acme/team/crew/members/bob');
    expectStatus(invited, 200);
    expect(invited.body).toMatchObject({ name: 'bob', invited: true });
    expectStatus(await alice.put('/api/v1/organization/acme/team/crew/invite/carol@example.com'), 200);

    const pending = await alice.get('/api/v1/organization/acme/team/crew/members?includePending=true');
    expectStatus(pending, 200);
    expect(memberNames(pending.body, true)).toEqual(['bob', 'carol@example.com']);

    const warnings = log.lines.filter((line) => warning.test(line));
    expect(warnings).toHaveLength(2);
    const tokens = await registry.ctx.db.selectFrom('team_invite').select('token').execute();
    expect(tokens).toHaveLength(2);
    for (const line of log.lines) {
      expect(line).not.toContain(MAIL_PASSWORD);
      for (const { token } of tokens) expect(line).not.toContain(token);
    }

    // The invitations work without the mail: bob accepts with the stored code.
    const bobToken = await registry.ctx.db
      .selectFrom('team_invite')
      .innerJoin('namespace', 'namespace.id', 'team_invite.user_id')
      .select('team_invite.token')
      .where('namespace.name', '=', 'bob')
      .executeTakeFirstOrThrow();
    const bob = await sessionClient(registry, 'bob');
    expectStatus(await bob.put(`/api/v1/teaminvite/${bobToken.token}`), 200);
    const members = await alice.get('/api/v1/organization/acme/team/crew/members');
    expect(memberNames(members.body, false)).toEqual(['bob']);
  });
});
