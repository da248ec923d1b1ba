import { Invalid } from '../errors.js';
import { REPOSITORY_NAME_COMPONENT } from '../model/repositories.js';
import { isValidHostHeader } from '../net/public-host.js';

/**
 * Quay's external_reference: `host[:port]/path/of/repo`, the repository a mirror pulls from. The
 * registry host is always spelled out (Docker Hub short forms such as `library/busybox` are not
 * expanded), and neither a scheme nor a tag or digest belongs in it: tags come from the mirror's
 * tag patterns.
 */

export interface ExternalReference {
  /** host[:port] */
  registry: string;
  /** The repository path on that registry, e.g. `library/busybox`. */
  repository: string;
}

const MAX_REPOSITORY_LENGTH = 255;

function invalid(ref: string, why: string): Invalid {
  return new Invalid('input', `Invalid external reference "${ref}": ${why}`);
}

/** Whether the first segment of a reference names a registry host rather than a path component. */
function looksLikeHost(segment: string): boolean {
  return segment.includes('.') || segment.includes(':') || segment === 'localhost' || segment.startsWith('[');
}

export function parseExternalReference(ref: string): ExternalReference {
  if (ref.trim() === '') throw invalid(ref, 'it is empty');
  if (/\s/.test(ref)) throw invalid(ref, 'it must not contain spaces');
  if (ref.includes('://')) throw invalid(ref, 'give host[:port]/repository without a scheme such as https://');
  if (ref.includes('@')) throw invalid(ref, 'a digest does not belong in it; give host[:port]/repository');
  const slash = ref.indexOf('/');
  const host = slash < 0 ? ref : ref.slice(0, slash);
  const path = slash < 0 ? '' : ref.slice(slash + 1);
  if (!looksLikeHost(host)) {
    throw invalid(ref, `it must start with the registry host, e.g. docker.io/${ref} or quay.io/${ref}`);
  }
  const port = /:(\d+)$/.exec(host)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535)) throw invalid(ref, `port ${port} is out of range`);
  if (!isValidHostHeader(host)) throw invalid(ref, `"${host}" is not a valid host[:port]`);
  if (path === '') throw invalid(ref, 'the repository path after the host is missing');
  const components = path.split('/');
  const last = components[components.length - 1] ?? '';
  if (last.includes(':')) throw invalid(ref, 'a tag does not belong in it; the mirror takes tags from its tag patterns');
  for (const component of components) {
    if (component === '') throw invalid(ref, 'the repository path has an empty component');
    if (component !== component.toLowerCase() && REPOSITORY_NAME_COMPONENT.test(component.toLowerCase())) {
      throw invalid(ref, 'the repository path must be lower case');
    }
    if (!REPOSITORY_NAME_COMPONENT.test(component)) {
      throw invalid(ref, `"${component}" is not a valid repository path component (lower-case letters, digits and single separators . _ __ -)`);
    }
  }
  if (path.length > MAX_REPOSITORY_LENGTH) throw invalid(ref, `the repository path is longer than ${MAX_REPOSITORY_LENGTH} characters`);
  return { registry: host, repository: path };
}
