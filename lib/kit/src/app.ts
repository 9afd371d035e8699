import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';
import express, { type Express, type Router } from 'express';
import type { Logger } from 'pino';
import { errorHandler, notFound } from './errors';
import { health } from './health';
import { logWhenFinished, requestIdOf, requestLogger } from './log';
import { httpMetrics, timeWhenFinished } from './metrics';

/** Something that serves on the service's own server without being one of its routes (a bus transport's deliveries). */
export interface Attachment {
  attach(router: Router): void;
}

/**
 * A GET of one exact path, without a query string, answered before Express from a body the service keeps made: the
 * read every visitor makes, where Express's router costs more CPU than the answer. It gets a request id, a log line
 * and a timing as any route. The rest at that path (a query string, HEAD, a cross-origin request) goes to Express's
 * routes, which must answer it the same way.
 */
export interface KeptAnswer {
  path: string;
  /** The JSON body as it stands now. Should making it fail, Express's route answers the request instead. */
  body(): Buffer;
}

/** Takes a request before Express and says so; one it took and cannot answer itself it hands on with `express()`. */
export type FrontDoor = (req: IncomingMessage, res: ServerResponse, express: () => void) => boolean;

export interface ServiceAppOptions {
  logger: Logger;
  /** Whether the service can serve yet: `/readyz`. */
  isReady: () => boolean;
  /** Internal traffic, served before the request log: it is the hot path, and its events carry their own request ids. */
  internal?: Array<Router | Attachment>;
  /** Internal traffic taken before Express's router, unlogged as `internal` is (the bus's plain publishes). */
  frontDoor?: FrontDoor;
  /** The service's own routes. */
  routes?: Router[];
  /** Reads answered before Express (see KeptAnswer). */
  keptAnswers?: KeptAnswer[];
  /** Origins allowed to call from a browser; none by default (the page is same-origin behind the ingress). */
  corsOrigins?: string[];
}

/** A service's app, its middleware in the one order that is right: timing, health, internal, logged routes, 404, errors. */
export function createServiceApp({ logger, isReady, internal = [], frontDoor, routes = [], keptAnswers = [], corsOrigins = [] }: ServiceAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // hashing every body costs more than it saves here
  app.use(httpMetrics());
  app.use(health(isReady));
  for (const part of internal) {
    if ('attach' in part) {
      const router = express.Router();
      part.attach(router);
      app.use(router);
    } else app.use(part);
  }
  app.use(requestLogger(logger));
  if (corsOrigins.length > 0) app.use(cors({ origin: corsOrigins })); // no work per request when there are none
  for (const router of routes) app.use(router);
  app.use(notFound);
  app.use(errorHandler(logger));
  const doors = [...(frontDoor ? [frontDoor] : []), ...(keptAnswers.length > 0 ? [keptAnswersDoor(keptAnswers, logger, corsOrigins.length > 0)] : [])];
  if (doors.length > 0) takeBeforeExpress(app, doors);
  return app;
}

/** Express's own entry for every request, which it does not type. */
type Handle = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

/** Every request reaches Express through app.handle (app.listen, supertest): the front doors are tried there first. */
function takeBeforeExpress(app: Express, doors: FrontDoor[]): void {
  const entry = app as Express & { handle: Handle };
  const handle = entry.handle;
  entry.handle = (req, res, next) => {
    const express = () => handle.call(app, req, res, next);
    if (!doors.some((take) => take(req, res, express))) express();
  };
}

/** Answers a GET of a kept answer's path; the rest, and a body that failed to make, go on to the routes. */
function keptAnswersDoor(answers: KeptAnswer[], logger: Logger, corsOn: boolean): FrontDoor {
  const byPath = new Map(answers.map((answer) => [answer.path, answer]));
  return (req, res) => {
    // CORS headers are the cors middleware's to write.
    const answer = req.method === 'GET' && !(corsOn && req.headers.origin !== undefined) ? byPath.get(req.url ?? '') : undefined;
    if (!answer) return false;
    let body: Buffer;
    try {
      body = answer.body();
    } catch {
      return false; // the route makes it again, and a failure is answered where every error is
    }
    const id = requestIdOf(req);
    logWhenFinished(logger, req, res, id, answer.path);
    timeWhenFinished(req, res, () => answer.path);
    // The headers Express's res.send gives a JSON string (the app makes no ETag).
    res.writeHead(200, { 'x-request-id': id, 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    res.end(body);
    return true;
  };
}
