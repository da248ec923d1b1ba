import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  dockerConfigJson,
  kubernetesPullSecret,
  pullSecretName,
  robotCredentials,
  shellQuote,
} from '../../src/model/robot-credentials.js';

const INPUT = { username: 'acme+deployer', token: 'TOKEN0123456789', registryHost: 'registry.example.com:8443' };

function decodeBase64(text: string): string {
  return Buffer.from(text, 'base64').toString('utf8');
}

describe('robot credentials views', () => {
  it('writes docker and podman login lines for the registry host', () => {
    const views = robotCredentials(INPUT);
    expect(views.docker_login).toBe('docker login -u acme+deployer -p TOKEN0123456789 registry.example.com:8443');
    expect(views.podman_login).toBe('podman login -u acme+deployer -p TOKEN0123456789 registry.example.com:8443');
    expect(views.username).toBe('acme+deployer');
    expect(views.password).toBe('TOKEN0123456789');
  });

  it('quotes words a shell would otherwise split or expand', () => {
    expect(shellQuote('plain-word_1.2')).toBe('plain-word_1.2');
    expect(shellQuote('two words')).toBe("'two words'");
    expect(shellQuote("it's")).toBe(`'it'"'"'s'`);
    expect(shellQuote('$(rm -rf /)')).toBe("'$(rm -rf /)'");
    const views = robotCredentials({ ...INPUT, registryHost: 'evil host;id' });
    expect(views.docker_login.endsWith("'evil host;id'")).toBe(true);
  });

  it('builds a config.json auths entry whose auth decodes to username:token', () => {
    const config = dockerConfigJson(INPUT);
    expect(Object.keys(config.auths)).toEqual(['registry.example.com:8443']);
    expect(decodeBase64(config.auths['registry.example.com:8443']!.auth)).toBe('acme+deployer:TOKEN0123456789');
  });

  it('builds a dockerconfigjson Secret named <owner>-<short>-pull-secret that carries the config', () => {
    const yaml = kubernetesPullSecret(INPUT);
    const secret = parseYaml(yaml) as {
      apiVersion: string;
      kind: string;
      type: string;
      metadata: { name: string };
      data: Record<string, string>;
    };
    expect(secret.apiVersion).toBe('v1');
    expect(secret.kind).toBe('Secret');
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    expect(secret.metadata.name).toBe('acme-deployer-pull-secret');
    expect(JSON.parse(decodeBase64(secret.data['.dockerconfigjson']!))).toEqual(dockerConfigJson(INPUT));
  });

  it('makes Kubernetes-valid secret names from any robot name', () => {
    const dnsSubdomain = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
    expect(pullSecretName('my_org+ci_bot')).toBe('my-org-ci-bot-pull-secret');
    expect(pullSecretName('org.x+a.b')).toBe('org.x-a.b-pull-secret');
    const long = pullSecretName(`${'o'.repeat(200)}+${'r'.repeat(200)}`);
    expect(long.length).toBeLessThanOrEqual(253);
    expect(long).toMatch(dnsSubdomain);
    expect(long.endsWith('-pull-secret')).toBe(true);
    expect(pullSecretName('__+__')).toBe('robot-pull-secret');
  });
});
