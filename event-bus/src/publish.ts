// POST /events, the hot path, in front of Express: a plain publish (JSON with its length, as the
// SDK and every service send it) is read, checked and stored here, without the router and the
// body parser, which cost more CPU than the rest of a publish. Anything else (a charset, a
// compressed or chunked body, one over the limit) goes on to Express's route as it always did, and
// so does every refusal of the front door, to be answered by the app's error handler: one place
// says what every error means, and the answers are the route's, byte for byte.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_EVENT_BYTES, publishSchema } from '@posts/bus-client/protocol';
import type { SignatureGuard } from '@posts/bus-client/signing';
import type { RequestHandler } from 'express';
import type { EventLog } from './log';

/** Most bytes of a publish's body ('1mb' to express.json). */
const BODY_LIMIT = 1024 * 1024;

/** What express.json refuses as not JSON: a strict body starts with an object or an array. */
const STRICT_START = /^[ \t\n\r]*[{[]/;

/** Publishes: the front door, and Express's route for what it leaves. */
export class Publishes {
  /** The front door's refusals, each handed to Express's route with its request, to be answered there. */
  private readonly refusals = new WeakMap<IncomingMessage, unknown>();

  constructor(
    private readonly log: EventLog,
    private readonly guard: SignatureGuard,
  ) {}

  /** Express's POST /events: answers a refusal handed over by the front door, or reads and stores what it left. */
  route(): RequestHandler[] {
    return [(req, _res, next) => next(this.refusals.get(req)), ...this.guard.json(BODY_LIMIT), (req, res) => this.store(req.body, res)];
  }

  /**
   * Takes a plain publish before Express, and answers it: true if it did. `express` hands the
   * request on to Express (a refusal, once recorded, is answered there).
   */
  take(req: IncomingMessage, res: ServerResponse, express: () => void): boolean {
    if (req.method !== 'POST' || req.url !== '/events') return false;
    const { headers } = req;
    const type = headers['content-type'];
    // What express.json reads plainly: a UTF-8 body of a known length, not encoded. The rest is its to read, as it was.
    if ((type !== 'application/json' && type !== 'application/json; charset=utf-8') || headers['content-encoding'] !== undefined) return false;
    if (headers['transfer-encoding'] !== undefined || !(Number(headers['content-length']) <= BODY_LIMIT)) return false;
    const refuse = (err: unknown) => {
      this.refusals.set(req, err);
      express();
    };
    // The signature's headers before the body is read: a request without one is read no further.
    const arrived = this.guard.admit(req);
    if (typeof arrived !== 'number') {
      refuse(arrived);
      return true;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => this.publish(req, res, arrived, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).catch(refuse));
    req.on('error', () => res.destroy()); // the publisher left: there is no one to answer
    return true;
  }

  /** The body's bytes checked against the signature before they are parsed (a forgery never is), then stored. */
  private async publish(req: IncomingMessage, res: ServerResponse, arrived: number, body: Buffer): Promise<void> {
    const forged = this.guard.verify(req, arrived, body);
    if (forged) throw forged;
    await this.store(parseJson(body), res);
  }

  /** Stores a publish and answers: 201 when anything was new, 200 when all were there already; `{id, seq}` for one event, an array for a batch. */
  private async store(body: unknown, res: ServerResponse): Promise<void> {
    const events = publishSchema.parse(body);
    const results = await this.log.append(Array.isArray(events) ? events : [events], MAX_EVENT_BYTES);
    const json = JSON.stringify(Array.isArray(events) ? results : { id: results[0].id, seq: results[0].seq });
    // The headers res.json sends (the app makes no ETag).
    res.writeHead(results.some((r) => !r.duplicate) ? 201 : 200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(json),
    });
    res.end(json);
  }
}

/** The body as express.json reads it (a byte order mark dropped, nothing as {}, strict); not JSON is marked as it marks it, for the same answer. */
function parseJson(body: Buffer): unknown {
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) return {};
  try {
    if (!STRICT_START.test(text)) throw new SyntaxError('not a JSON object or array');
    return JSON.parse(text);
  } catch (err) {
    throw Object.assign(err as Error, { status: 400, type: 'entity.parse.failed' });
  }
}
