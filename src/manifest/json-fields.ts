import { Invalid } from '../errors.js';

/** Typed readers for fields of untrusted JSON; each failure names the field it is about. */

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function fieldPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

/** Keeps error messages readable when a client sends a huge value. */
export function quoted(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

export function manifestInvalid(message: string, field?: string): Invalid {
  return new Invalid('manifest', message, field === undefined ? undefined : { field });
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

export function expectObject(value: unknown, path: string): JsonObject {
  if (!isJsonObject(value)) throw manifestInvalid(`${path} must be an object, not ${describeJsonType(value)}`, path);
  return value;
}

export function expectArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw manifestInvalid(`${path} must be an array, not ${describeJsonType(value)}`, path);
  return value;
}

export function requiredField(object: JsonObject, key: string, parent: string): unknown {
  const value = object[key];
  if (value === undefined) throw manifestInvalid(`${fieldPath(parent, key)} is required`, fieldPath(parent, key));
  return value;
}

export function optionalString(object: JsonObject, key: string, parent: string): string | undefined {
  const value = object[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    const path = fieldPath(parent, key);
    throw manifestInvalid(`${path} must be a string, not ${describeJsonType(value)}`, path);
  }
  return value;
}

export function requiredString(object: JsonObject, key: string, parent: string): string {
  requiredField(object, key, parent);
  return optionalString(object, key, parent) as string;
}

export function optionalStringArray(object: JsonObject, key: string, parent: string): string[] | undefined {
  const value = object[key];
  if (value === undefined) return undefined;
  const path = fieldPath(parent, key);
  const items = expectArray(value, path);
  items.forEach((item, index) => {
    if (typeof item !== 'string') {
      throw manifestInvalid(`${fieldPath(path, index)} must be a string, not ${describeJsonType(item)}`, fieldPath(path, index));
    }
  });
  return items as string[];
}

/** Annotations: an object whose values are all strings. */
export function optionalStringMap(object: JsonObject, key: string, parent: string): Record<string, string> | undefined {
  const value = object[key];
  if (value === undefined) return undefined;
  const path = fieldPath(parent, key);
  const map = expectObject(value, path);
  for (const [name, entry] of Object.entries(map)) {
    if (typeof entry !== 'string') {
      throw manifestInvalid(`${path}[${quoted(name)}] must be a string, not ${describeJsonType(entry)}`, path);
    }
  }
  return map as Record<string, string>;
}
