import type { FastifyInstance } from 'fastify';

type ParserError = Error & { statusCode: number };

/** The only routes that accept HTML form posts. */
const FORM_POST_PREFIX = '/oauth/';

function unsupportedMediaType(): ParserError {
  const error = new Error('this endpoint takes a JSON body (application/json)') as ParserError;
  error.statusCode = 415;
  return error;
}

function badRequest(message: string): ParserError {
  const error = new Error(message) as ParserError;
  error.statusCode = 400;
  return error;
}

/**
 * JSON (where an empty body counts as none: DELETE and POST requests often carry the content type
 * without a body), and HTML form posts (application/x-www-form-urlencoded) to the OAuth
 * authorization form only.
 */
export function registerApiBodyParsers(app: FastifyInstance): void {
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(badRequest('the request body is not valid JSON'), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    // Only the OAuth authorization form posts forms. Elsewhere they are refused: a cross-site page
    // can post a form without a CORS preflight, which could sign a browser in as someone else.
    if (!request.url.startsWith(FORM_POST_PREFIX)) return done(unsupportedMediaType(), undefined);
    const text = typeof body === 'string' ? body : body.toString('utf8');
    done(null, Object.fromEntries(new URLSearchParams(text)));
  });
}
