import { describe, expect, it } from 'vitest';
import { apiBaseUrl, apiErrorBody, toApiError } from '../../src/api/errors.js';
import { loadConfig } from '../../src/config/load.js';
import {
  Conflict,
  Denied,
  Invalid,
  NotFound,
  ReadOnly,
  TooManyRequests,
  Unauthorized,
  Unsupported,
} from '../../src/errors.js';

describe('Quay API errors', () => {
  it.each([
    [new NotFound('repository', 'repository a/b not found'), 404, 'not_found'],
    [new Invalid('input', 'bad input'), 400, 'invalid_request'],
    [new Conflict('the name "x" is already taken'), 400, 'invalid_request'],
    [new Unauthorized('requires authentication'), 401, 'invalid_token'],
    [new Denied('not allowed'), 403, 'insufficient_scope'],
    [new ReadOnly('read only'), 503, 'invalid_request'],
    [new TooManyRequests('slow down'), 429, 'invalid_request'],
    [new Unsupported('no'), 400, 'invalid_request'],
  ])('maps %s to %i %s', (err, status, type) => {
    expect(toApiError(err)).toEqual({ status, type, message: err.message });
  });

  it('hides the message of unexpected errors', () => {
    expect(toApiError(new Error('connection string postgres://secret@db'))).toEqual({
      status: 500,
      type: 'internal_error',
      message: 'Internal Server Error',
    });
  });

  it('builds the body Quay returns', () => {
    const config = loadConfig({ dataDir: '/tmp/unused', overrides: { SERVER_HOSTNAME: 'quay.example', PREFERRED_URL_SCHEME: 'https' }, env: {} });
    const body = apiErrorBody(toApiError(new Invalid('input', 'Invalid username')), apiBaseUrl(config, 'ignored:1'));
    expect(body).toEqual({
      detail: 'Invalid username',
      error_message: 'Invalid username',
      error_type: 'invalid_request',
      title: 'invalid_request',
      type: 'https://quay.example/api/v1/error/invalid_request',
      status: 400,
    });
  });

  it('uses the request host when SERVER_HOSTNAME is not set', () => {
    const config = loadConfig({ dataDir: '/tmp/unused', env: {} });
    expect(apiBaseUrl(config, '127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
  });
});
