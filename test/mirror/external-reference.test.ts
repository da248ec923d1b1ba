import { describe, expect, it } from 'vitest';
import { Invalid } from '../../src/errors.js';
import { parseExternalReference } from '../../src/mirror/external-reference.js';

describe('parseExternalReference', () => {
  it.each([
    ['quay.io/coreos/etcd', 'quay.io', 'coreos/etcd'],
    ['registry.example.com:5000/team/app/api', 'registry.example.com:5000', 'team/app/api'],
    ['127.0.0.1:5000/library/busybox', '127.0.0.1:5000', 'library/busybox'],
    ['localhost/x', 'localhost', 'x'],
    ['localhost:8080/a.b_c__d-e--f', 'localhost:8080', 'a.b_c__d-e--f'],
    ['[::1]:5000/x/y', '[::1]:5000', 'x/y'],
    ['docker.io/library/busybox', 'docker.io', 'library/busybox'],
  ])('reads %s', (ref, registry, repository) => {
    expect(parseExternalReference(ref)).toEqual({ registry, repository });
  });

  it.each([
    ['', /empty/],
    ['https://quay.io/coreos/etcd', /scheme/],
    ['quay.io/coreos/etcd:v3.1', /tag/],
    ['quay.io/coreos/etcd@sha256:' + 'a'.repeat(64), /digest/],
    ['quay.io', /path/],
    ['quay.io/', /path/],
    ['quay.io/coreos//etcd', /empty component/],
    ['quay.io/CoreOS/etcd', /lower case/],
    ['library/busybox', /start with the registry host/],
    ['busybox', /start with the registry host/],
    ['quay.io:99999/x', /out of range/],
    ['quay.io:0/x', /out of range/],
    ['bad_host.io/x', /not a valid host/],
    ['-bad.io/x', /not a valid host/],
    ['quay.io/coreos/etcd ', /spaces/],
    ['quay.io/core os', /spaces/],
    ['quay.io/x-/y', /not a valid repository path component/],
    ['quay.io/x..y', /not a valid repository path component/],
  ])('refuses %j', (ref, message) => {
    expect(() => parseExternalReference(ref)).toThrow(Invalid);
    expect(() => parseExternalReference(ref)).toThrow(message);
  });
});
