import { ConfigError } from '../config/load.js';
import { Invalid } from '../errors.js';
import { contentPath } from './blob-store.js';

/**
 * Typed access to one DISTRIBUTED_STORAGE_CONFIG location's parameters. Quay bundles carry values
 * written by hand in YAML, so booleans and ports may arrive as strings; every problem is reported
 * as a ConfigError naming the location and the parameter.
 */
export class DriverParams {
  constructor(
    readonly location: string,
    readonly driver: string,
    private readonly params: Record<string, unknown>,
  ) {}

  problem(message: string): ConfigError {
    return new ConfigError([{ key: 'DISTRIBUTED_STORAGE_CONFIG', message: `${this.location} (${this.driver}): ${message}` }]);
  }

  optionalString(name: string): string | undefined {
    const value = this.params[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    throw this.problem(`${name} must be a string`);
  }

  requiredString(name: string): string {
    const value = this.optionalString(name);
    if (value === undefined) throw this.problem(`${name} is required`);
    return value;
  }

  optionalBoolean(name: string): boolean | undefined {
    const value = this.params[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
    throw this.problem(`${name} must be true or false`);
  }

  optionalPort(name: string): number | undefined {
    const value = this.params[name];
    if (value === undefined || value === null || value === '') return undefined;
    const port = typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value;
    if (typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536) return port;
    throw this.problem(`${name} must be a TCP port number`);
  }
}

const SAFE_UPLOAD_ID = /^[A-Za-z0-9-]{1,128}$/;

/** Upload ids become file and object names, so anything but a plain token is refused. */
export function assertSafeUploadId(uploadId: string): void {
  if (!SAFE_UPLOAD_ID.test(uploadId)) throw new Invalid('upload', `not a valid upload id: ${JSON.stringify(uploadId)}`);
}

export function assertChunkIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0) throw new Invalid('upload', `not a valid chunk index: ${index}`);
}

/** Validates a requested inclusive range against what the caller may ask for before any I/O. */
export function assertRangeShape(range: { start: number; end: number }): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new Invalid('range', `not a valid byte range: ${start}-${end}`);
  }
}

/** contentPath(), with a malformed digest reported as a domain error rather than a crash. */
export function blobContentPath(digest: string): string {
  try {
    return contentPath(digest);
  } catch {
    throw new Invalid('digest', `not a content digest: ${JSON.stringify(digest)}`);
  }
}
