import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RepositoryRole } from '../../src/db/tables.js';
import { findNamespace } from '../../src/model/namespaces.js';
import { createOrganization } from '../../src/model/organizations.js';
import { ensureRepository, findRepository } from '../../src/model/repositories.js';
import { findRobot } from '../../src/model/robots.js';
import { sessionClient } from '../helpers/api.js';
import { requireClient, runFails, runOk } from '../helpers/clients.js';
import { testDialects } from '../helpers/databases.js';
import { createImageLayout, type LayoutImage, sha256Digest } from '../helpers/oci-layout.js';
import { AUTH_REFUSED, PASSWORD, useRegistry } from './support.js';

const skopeo = requireClient('skopeo');

/**
 * A robot account's credentials in a real client: skopeo pushes where the robot may write, is
 * refused where it may only read or has no permission, and reads where it may read.
 */
describe.skipIf(!skopeo).each(testDialects())('skopeo with robot credentials (%s)', (dialect) => {
  const ctx = useRegistry(dialect);
  const bin = skopeo!;
  const alice = `alice:${PASSWORD}`;
  const ref = (repoAndTag: string) => `docker://${ctx.registry.host}/${repoAndTag}`;
  const pushTo = (creds: string, target: string, image: LayoutImage) =>
    ['copy', '--dest-tls-verify=false', '--dest-creds', creds, '--preserve-digests', image.ref, ref(target)] as const;
  const readWith = (creds: string) => ['--tls-verify=false', '--creds', creds] as const;

  let image: LayoutImage;
  let robotCreds: string;

  async function grant(repository: string, role: RepositoryRole): Promise<void> {
    const acme = (await findNamespace(ctx.registry.ctx.db, 'acme'))!;
    const repo = await ensureRepository(ctx.registry.ctx.db, acme.id, { namespace: 'acme', name: repository }, 'private');
    const robot = (await findRobot(ctx.registry.ctx.db, 'acme+bot'))!;
    await ctx.registry.ctx.db
      .insertInto('repository_permission')
      .values({ repository_id: repo.id, member_id: robot.id, team_id: null, role })
      .execute();
  }

  beforeAll(async () => {
    image = await createImageLayout(path.join(ctx.work, 'src-image'), { seed: `robot-skopeo-${dialect}`, tag: 'v1' });
    const aliceRow = (await findNamespace(ctx.registry.ctx.db, 'alice'))!;
    await createOrganization(ctx.registry.ctx.db, ctx.registry.ctx.config, { name: 'acme', creatorId: aliceRow.id });

    const admin = await sessionClient(ctx.registry, 'alice');
    const created = await admin.put('/api/v1/organization/acme/robots/bot', { description: 'skopeo e2e' });
    expect(created.status, created.describe()).toBe(201);
    const credentials = await admin.get('/api/v1/organization/acme/robots/bot/credentials');
    expect(credentials.status, credentials.describe()).toBe(200);
    expect(credentials.body.username).toBe('acme+bot');
    robotCreds = `${credentials.body.username}:${credentials.body.password}`;

    await grant('allowed', 'write');
    await grant('readonly', 'read');
    const acme = (await findNamespace(ctx.registry.ctx.db, 'acme'))!;
    await ensureRepository(ctx.registry.ctx.db, acme.id, { namespace: 'acme', name: 'other' }, 'private');
    // An organization admin fills the repository the robot may only read.
    await runOk(bin, [...pushTo(alice, 'acme/readonly:v1', image)]);
  });

  it('pushes with the robot into a repository it may write, and reads it back', async () => {
    await runOk(bin, [...pushTo(robotCreds, 'acme/allowed:v1', image)]);
    const raw = await runOk(bin, ['inspect', '--raw', ...readWith(robotCreds), ref('acme/allowed:v1')]);
    expect(sha256Digest(raw.stdout)).toBe(image.image.manifestDescriptor.digest);
    // the organization admin sees what the robot pushed
    const asAlice = await runOk(bin, ['inspect', '--raw', ...readWith(alice), ref('acme/allowed:v1')]);
    expect(sha256Digest(asAlice.stdout)).toBe(image.image.manifestDescriptor.digest);
  });

  it('is refused a push into a repository it may only read, which keeps its tags', async () => {
    const refused = await runFails(bin, [...pushTo(robotCreds, 'acme/readonly:v2', image)]);
    expect(refused.stderr).toMatch(AUTH_REFUSED);
    const tags = JSON.parse((await runOk(bin, ['list-tags', ...readWith(alice), ref('acme/readonly')])).stdout) as {
      Tags: string[];
    };
    expect(tags.Tags).toEqual(['v1']);
  });

  it('is refused a push into a repository it has no permission on, existing or not', async () => {
    const other = await runFails(bin, [...pushTo(robotCreds, 'acme/other:v1', image)]);
    expect(other.stderr).toMatch(AUTH_REFUSED);
    const brandNew = await runFails(bin, [...pushTo(robotCreds, 'acme/brand-new:v1', image)]);
    expect(brandNew.stderr).toMatch(AUTH_REFUSED);
    const elsewhere = await runFails(bin, [...pushTo(robotCreds, 'alice/robot-was-here:v1', image)]);
    expect(elsewhere.stderr).toMatch(AUTH_REFUSED);
    const tags = JSON.parse((await runOk(bin, ['list-tags', ...readWith(alice), ref('acme/other')])).stdout) as {
      Tags: string[];
    };
    expect(tags.Tags).toEqual([]);
    expect(await findRepository(ctx.registry.ctx.db, { namespace: 'acme', name: 'brand-new' })).toBeUndefined();
    expect(await findRepository(ctx.registry.ctx.db, { namespace: 'alice', name: 'robot-was-here' })).toBeUndefined();
  });

  it('inspects a repository it may read, and not one it has no permission on', async () => {
    const inspected = JSON.parse((await runOk(bin, ['inspect', ...readWith(robotCreds), ref('acme/readonly:v1')])).stdout) as {
      Digest: string;
      RepoTags: string[];
    };
    expect(inspected.Digest).toBe(image.image.manifestDescriptor.digest);
    expect(inspected.RepoTags).toEqual(['v1']);
    const refused = await runFails(bin, ['inspect', '--raw', ...readWith(robotCreds), ref('acme/other:v1')]);
    expect(refused.stderr).toMatch(AUTH_REFUSED);
  });

  it('stops accepting the old token once it is regenerated', async () => {
    const admin = await sessionClient(ctx.registry, 'alice');
    const regenerated = await admin.post('/api/v1/organization/acme/robots/bot/regenerate');
    expect(regenerated.status, regenerated.describe()).toBe(200);
    const stale = await runFails(bin, ['inspect', '--raw', ...readWith(robotCreds), ref('acme/readonly:v1')]);
    expect(stale.stderr).toMatch(AUTH_REFUSED);
    const fresh = await runOk(bin, ['inspect', '--raw', ...readWith(`acme+bot:${regenerated.body.token}`), ref('acme/readonly:v1')]);
    expect(sha256Digest(fresh.stdout)).toBe(image.image.manifestDescriptor.digest);
  });
});
