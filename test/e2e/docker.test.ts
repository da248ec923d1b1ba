import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNamespace } from '../../src/model/namespaces.js';
import { createRobot, revealRobotToken } from '../../src/model/robots.js';
import { run, requireClient, runFails, runOk } from '../helpers/clients.js';
import { testDialects } from '../helpers/databases.js';
import { rootfsTar, sha256Digest } from '../helpers/oci-layout.js';
import { AUTH_REFUSED, basicAuth, PASSWORD, useRegistry, WRONG_PASSWORD } from './support.js';

/**
 * The real Docker client and Engine (started by ../shared/tools/docker-engine.sh; .ci/run does
 * it). The daemon has no bridge network, so images come from `docker import` of a tar made here
 * and `docker build --network none`; nothing is pulled from Docker Hub. Docker treats
 * 127.0.0.0/8 registries as insecure (plain HTTP) by default.
 */
const docker = requireClient('docker');

const DOCKER_V2_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

/** docker push ends with "v1: digest: sha256:... size: N". */
function pushedDigest(stdout: string): string {
  const match = /digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(stdout);
  if (!match) throw new Error(`no digest in docker push output:\n${stdout}`);
  return match[1]!;
}

describe.skipIf(!docker).each(testDialects())('docker against Quayside (%s)', (dialect) => {
  const ctx = useRegistry(dialect);
  const bin = docker!;
  let env: Record<string, string> = {};
  const images: string[] = [];
  const d = (args: string[], input?: string) =>
    runOk(bin, args, { env: { ...env, DOCKER_BUILDKIT: '0' }, timeoutMs: 120_000, ...(input ? { input } : {}) });
  const name = (repoAndTag: string) => `${ctx.registry.host}/${repoAndTag}`;
  const inspect = async (ref: string) =>
    (JSON.parse((await d(['image', 'inspect', ref])).stdout) as { Id: string; RepoDigests: string[]; RootFS: { Layers: string[] } }[])[0]!;

  let v1Id = '';
  let v1Digest = '';
  let v2Id = '';
  let v2Digest = '';

  beforeAll(async () => {
    const config = path.join(ctx.work, 'docker-config');
    await mkdir(config, { recursive: true });
    env = { DOCKER_CONFIG: config };
    images.push(name('alice/dockerapp:v1'), name('alice/dockerapp:v2'), name('alice/dockerapp-mirror:v1'));
  });

  afterAll(async () => {
    // the Engine is shared with the rest of the machine: leave no images behind
    await run(bin, ['image', 'rm', '--force', ...images], { env });
    const ids = [v1Id, v2Id].filter(Boolean);
    if (ids.length > 0) await run(bin, ['image', 'rm', '--force', ...ids], { env });
  });

  it('refuses docker login with a wrong password and accepts the right one', async () => {
    const wrong = await runFails(bin, ['login', ctx.registry.host, '-u', 'alice', '--password-stdin'], {
      env,
      input: WRONG_PASSWORD,
    });
    expect(wrong.stderr).toMatch(AUTH_REFUSED);
    const ok = await d(['login', ctx.registry.host, '-u', 'alice', '--password-stdin'], PASSWORD);
    expect(ok.stdout).toMatch(/Login Succeeded/);
  });

  it('pushes an imported image and a built image on top of it', async () => {
    const tar = path.join(ctx.work, 'rootfs.tar');
    await writeFile(tar, rootfsTar(`docker-${dialect}`));
    v1Id = (await d(['import', '--message', 'quayside e2e', tar, name('alice/dockerapp:v1')])).stdout.trim();
    expect(v1Id).toMatch(/^sha256:[0-9a-f]{64}$/);
    v1Digest = pushedDigest((await d(['push', name('alice/dockerapp:v1')])).stdout);

    const context = path.join(ctx.work, 'build');
    await mkdir(context, { recursive: true });
    await writeFile(path.join(context, 'extra.txt'), `built for ${dialect}\n`);
    await writeFile(
      path.join(context, 'Dockerfile'),
      `FROM ${name('alice/dockerapp:v1')}\nCOPY extra.txt /extra.txt\nLABEL org.quayside.e2e=${dialect}\n`,
    );
    await d(['build', '--network', 'none', '-q', '-t', name('alice/dockerapp:v2'), context]);
    v2Id = (await inspect(name('alice/dockerapp:v2'))).Id;
    const pushed = await d(['push', name('alice/dockerapp:v2')]);
    v2Digest = pushedDigest(pushed.stdout);
    // the base layer was pushed with v1 already
    expect(pushed.stdout).toMatch(/Layer already exists/);

    const response = await fetch(`${ctx.registry.url}/v2/alice/dockerapp/manifests/v2`, {
      headers: { authorization: basicAuth('alice', PASSWORD), accept: DOCKER_V2_MANIFEST },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(DOCKER_V2_MANIFEST);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(sha256Digest(bytes)).toBe(v2Digest);
    const manifest = JSON.parse(bytes.toString('utf8')) as { config: { digest: string }; layers: unknown[] };
    expect(manifest.config.digest).toBe(v2Id);
    expect(manifest.layers).toHaveLength(2);
  });

  it('mounts the blobs across repositories when pushing the same image under another name', async () => {
    await d(['tag', name('alice/dockerapp:v2'), name('alice/dockerapp-mirror:v1')]);
    const pushed = await d(['push', name('alice/dockerapp-mirror:v1')]);
    expect(pushed.stdout).toMatch(/Mounted from alice\/dockerapp/);
    expect(pushedDigest(pushed.stdout)).toBe(v2Digest);
  });

  it('removes the local images and pulls them back with the same ids and digests', async () => {
    await d(['image', 'rm', '--force', ...images]);
    const gone = await run(bin, ['image', 'inspect', name('alice/dockerapp:v1')], { env });
    expect(gone.code).not.toBe(0);

    await d(['pull', name('alice/dockerapp:v1')]);
    await d(['pull', name('alice/dockerapp:v2')]);
    const v1 = await inspect(name('alice/dockerapp:v1'));
    const v2 = await inspect(name('alice/dockerapp:v2'));
    expect(v1.Id).toBe(v1Id);
    expect(v1.RepoDigests).toContain(`${ctx.registry.host}/alice/dockerapp@${v1Digest}`);
    expect(v2.Id).toBe(v2Id);
    expect(v2.RepoDigests).toContain(`${ctx.registry.host}/alice/dockerapp@${v2Digest}`);
    expect(v2.RootFS.Layers.slice(0, 1)).toEqual(v1.RootFS.Layers);

    await d(['pull', `${ctx.registry.host}/alice/dockerapp@${v1Digest}`]);
  });

  it('after logout, pulling the private repository is refused', async () => {
    await d(['logout', ctx.registry.host]);
    await d(['image', 'rm', '--force', ...images]);
    const anonymous = await runFails(bin, ['pull', name('alice/dockerapp:v1')], { env, timeoutMs: 60_000 });
    expect(anonymous.stderr).toMatch(AUTH_REFUSED);
  });

  it('a robot logs in with docker and pushes only where it holds write permission', async () => {
    const { db, secrets } = ctx.registry.ctx;
    const alice = (await findNamespace(db, 'alice'))!;
    const robot = await createRobot(db, secrets, { owner: alice, shortname: 'pusher' });
    const token = revealRobotToken(secrets, robot);
    // A repository the robot may write to, and one it may only read.
    await d(['login', ctx.registry.host, '-u', 'alice', '--password-stdin'], PASSWORD);
    await d(['pull', name('alice/dockerapp:v1')]);
    await d(['tag', name('alice/dockerapp:v1'), name('alice/robot-target:seed')]);
    await d(['tag', name('alice/dockerapp:v1'), name('alice/robot-readonly:seed')]);
    images.push(name('alice/robot-target:seed'), name('alice/robot-readonly:seed'), name('alice/robot-target:v1'), name('alice/robot-readonly:v1'));
    await d(['push', name('alice/robot-target:seed')]);
    await d(['push', name('alice/robot-readonly:seed')]);
    for (const [repo, role] of [['robot-target', 'write'], ['robot-readonly', 'read']] as const) {
      const row = await db
        .selectFrom('repository')
        .select('id')
        .where('namespace_id', '=', alice.id)
        .where('name', '=', repo)
        .executeTakeFirstOrThrow();
      await db.insertInto('repository_permission').values({ repository_id: row.id, member_id: robot.id, team_id: null, role }).execute();
    }
    await d(['logout', ctx.registry.host]);

    const login = await d(['login', ctx.registry.host, '-u', robot.name, '--password-stdin'], token);
    expect(login.stdout).toMatch(/Login Succeeded/);
    await d(['tag', name('alice/dockerapp:v1'), name('alice/robot-target:v1')]);
    await d(['tag', name('alice/dockerapp:v1'), name('alice/robot-readonly:v1')]);
    expect(pushedDigest((await d(['push', name('alice/robot-target:v1')])).stdout)).toBe(v1Digest);
    const refused = await runFails(bin, ['push', name('alice/robot-readonly:v1')], { env, timeoutMs: 60_000 });
    expect(refused.stderr).toMatch(AUTH_REFUSED);
    await d(['pull', name('alice/robot-readonly:seed')]);
    await d(['logout', ctx.registry.host]);
  });
});
