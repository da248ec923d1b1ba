import type { FastifyInstance } from 'fastify';

type ParserError = Error & { statusCode: number };

function badRequest(message: string): ParserError {
  const error = new Error(message) as ParserError;
  error.statusCode = 400;
  return error;
}

/**
 * JSON (where an empty body counts as none: DELETE and POST requests often carry the content type
 * without a body) and HTML form posts (application/x-www-form-urlencoded, as the OAuth
 * authorization form sends).
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
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    done(null, Object.fromEntries(new URLSearchParams(text)));
  });
}
