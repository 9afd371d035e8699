// Proof that a request to the bus, or a delivery from it, comes from a holder of the bus secret
// (BUS_SECRET) without sending the secret: an HMAC-SHA256 over what the request does. The bus and
// the SDK's HTTP transport sign and check with this one module. Without a secret (open mode)
// nothing is signed and every request is taken, as the course's bus does.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import express, { type Request, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { UnauthorizedError } from '@posts/bus-client';
import { LOG_HEAD_HEADER, LOG_ID_HEADER } from './protocol';

/** `t=<ms since the epoch>,v1=<HMAC-SHA256 in hex>` on every publish, read and delivery. */
export const SIGNATURE_HEADER = 'x-bus-signature';

/**
 * How far a signature's time may be from the receiver's clock, either way. Clocks in one cluster
 * agree within a second or two and a 16 MB delivery takes a while; past 30 s a captured request is
 * worth nothing. Inside the window a replay changes nothing: a publish is idempotent by its id, a
 * delivery by its seqs, and a read only reads.
 */
export const SIGNATURE_WINDOW_MS = 30_000;

/** What a signature covers. */
export interface SignedParts {
  method: string;
  /** The path with its query string, as on the request line. */
  path: string;
  /** A delivery's `x-log-id` and `x-log-head` as sent: a forged log or head breaks the signature. */
  logId?: string;
  head?: string;
  body: Buffer;
}

const CLAIM = /^t=(\d{1,15}),v1=([0-9a-f]{64})$/;
const EMPTY = Buffer.alloc(0);

/** A signature header's time and MAC, or why it is no signature at `now`. */
function readClaim(header: string | undefined, now: number): { time: string; mac: Buffer } | string {
  if (header === undefined) return 'no signature';
  const claim = CLAIM.exec(header);
  if (!claim) return 'malformed signature';
  if (Math.abs(now - Number(claim[1])) > SIGNATURE_WINDOW_MS) return 'signature outside the time window (are the clocks right?)';
  return { time: claim[1], mac: Buffer.from(claim[2], 'hex') };
}

/** Signs requests with the bus secret, and checks the signatures of others. */
export class RequestSigner {
  private readonly key: KeyObject;

  constructor(secret: string) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  /** The SIGNATURE_HEADER value for a request made at `now`. */
  sign(parts: SignedParts, now = Date.now()): string {
    const time = String(now);
    return `t=${time},v1=${this.mac(time, parts).toString('hex')}`;
  }

  /** Why `header` does not prove that `parts` were signed with this secret near `now`; undefined when it does. */
  check(header: string | undefined, parts: SignedParts, now = Date.now()): string | undefined {
    const claim = readClaim(header, now);
    if (typeof claim === 'string') return claim;
    // Constant time: how long a comparison takes must not tell how much of a forgery was right.
    return timingSafeEqual(this.mac(claim.time, parts), claim.mac) ? undefined : 'signature does not match';
  }

  private mac(time: string, { method, path, logId = '', head = '', body }: SignedParts): Buffer {
    // One line per field (HTTP allows no newline in any of them), then the body's bytes as they are.
    return createHmac('sha256', this.key).update(`posts-bus-v1\n${method}\n${path}\n${time}\n${logId}\n${head}\n`).update(body).digest();
  }
}

/** The path a request was sent to, with its query string: Express's `originalUrl`, or a plain request's `url`. */
const pathOf = (req: IncomingMessage) => (req as Partial<Request>).originalUrl ?? req.url ?? '';
/** One header as sent (Node joins a repeated one). */
const header = (req: IncomingMessage, name: string) => req.headers[name] as string | undefined;

/**
 * Guards routes with the bus secret: a request that is not signed with it is answered 401
 * `unauthorized`, logged once with where it came from, counted, and read no further. Without a
 * secret (open mode) it only parses bodies, and takes every request.
 */
export class SignatureGuard {
  /** Requests refused since start. */
  unauthorizedRequests = 0;
  /** When each request under check arrived: its signature's window is measured from then. */
  private readonly arrivals = new WeakMap<IncomingMessage, number>();

  constructor(
    private readonly signer: RequestSigner | undefined,
    private readonly logger?: Pick<Logger, 'warn'>,
  ) {}

  /** A route with a JSON body: the headers are checked before the body is read, the body's bytes before they are parsed. */
  json(limit: string | number): RequestHandler[] {
    if (!this.signer) return [express.json({ limit })];
    return [this.checkHeaders, express.json({ limit, verify: (req, _res, body) => this.checkBody(req, body) }), this.checkUnread];
  }

  /** A route without a body: a read. */
  bodiless(): RequestHandler[] {
    return this.signer ? [this.checkHeaders, this.checkUnread] : [];
  }

  /**
   * The first half of the check, for a server without Express, before the body is read: when the
   * request arrived (its signature's window is measured from then), or its refusal (counted and
   * logged). Without a secret every request is taken, at 0.
   */
  admit(req: IncomingMessage): number | UnauthorizedError {
    if (!this.signer) return 0;
    const arrived = Date.now();
    const claim = readClaim(header(req, SIGNATURE_HEADER), arrived);
    return typeof claim === 'string' ? this.refuse(req, claim) : arrived;
  }

  /** The second half, over the body's bytes before they are parsed: its refusal (counted and logged), or undefined when they are signed. */
  verify(req: IncomingMessage, arrived: number, body: Buffer): UnauthorizedError | undefined {
    if (!this.signer) return undefined;
    const problem = this.signer.check(
      header(req, SIGNATURE_HEADER),
      { method: req.method!, path: pathOf(req), logId: header(req, LOG_ID_HEADER), head: header(req, LOG_HEAD_HEADER), body },
      arrived,
    );
    return problem ? this.refuse(req, problem) : undefined;
  }

  private readonly checkHeaders: RequestHandler = (req, _res, next) => {
    const admitted = this.admit(req);
    if (typeof admitted !== 'number') return next(admitted);
    this.arrivals.set(req, admitted);
    next();
  };

  /** Throws when the signature does not cover these bytes: as the JSON parser's `verify`, a forgery is never parsed. */
  private checkBody(req: IncomingMessage, body: Buffer): void {
    const arrived = this.arrivals.get(req) ?? Date.now();
    this.arrivals.delete(req);
    const refused = this.verify(req, arrived, body);
    if (refused) throw refused;
  }

  /** A request whose body no parser read (a read, an empty body) is checked as having none. */
  private readonly checkUnread: RequestHandler = (req, _res, next) => {
    if (!this.arrivals.has(req)) return next();
    try {
      this.checkBody(req, EMPTY);
      next();
    } catch (err) {
      next(err);
    }
  };

  private refuse(req: IncomingMessage, reason: string): UnauthorizedError {
    this.unauthorizedRequests++;
    this.logger?.warn({ from: req.socket.remoteAddress, method: req.method, path: pathOf(req), reason }, 'refused a request not signed with the bus secret');
    return new UnauthorizedError(`Not signed with the bus secret: ${reason}.`);
  }
}
