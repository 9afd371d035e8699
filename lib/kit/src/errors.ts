import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';

/**
 * An error answered as it is: `{error: {code, message}}` with `status`. Any error that carries
 * `status`, `code` and `answerable: true` is answered the same way, so a library's errors need
 * nothing from here to reach the caller well.
 */
export class HttpError extends Error {
  readonly answerable = true;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Answer {
  status: number;
  code: string;
  message: string;
}

function isAnswer(err: unknown): err is Error & Answer {
  const e = err as Partial<Answer> & { answerable?: unknown };
  return err instanceof Error && e.answerable === true && typeof e.status === 'number' && e.status >= 400 && e.status < 600 && typeof e.code === 'string';
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}`));
};

/** The one place a service turns an error into an answer. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const answer = describe(err);
    if (answer.status >= 500) (req.log ?? logger).error({ err }, answer.message);
    // Half an answer is out: cutting the connection is the only way left to say it failed.
    if (res.headersSent) return void res.destroy();
    res.status(answer.status).json({ error: { code: answer.code, message: answer.message } });
  };
}

function describe(err: unknown): Answer {
  if (isAnswer(err)) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof z.ZodError) {
    const message = err.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
    return { status: 400, code: 'invalid_request', message };
  }
  // body-parser's errors carry a type and a 4xx status.
  const type = (err as { type?: string }).type;
  if (type === 'entity.too.large') return { status: 413, code: 'payload_too_large', message: 'The request body is too large.' };
  if (type === 'entity.parse.failed') return { status: 400, code: 'malformed_json', message: 'The request body is not valid JSON.' };
  // Other 4xx errors (from Express and its parsers): their message only where they mark it as meant for the caller.
  const { status, expose } = err as { status?: number; expose?: boolean };
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 404) return { status, code: 'not_found', message: 'Not found.' };
    return { status, code: 'bad_request', message: (expose && (err as Error).message) || 'Bad request.' };
  }
  return { status: 500, code: 'internal', message: 'Something went wrong on our side.' };
}
