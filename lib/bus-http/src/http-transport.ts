// The HTTP transport: posts.com's hand-written event bus. Publishes are POST /events, reads
// GET /events?after&limit, and the bus pushes deliveries to POST /events on the service. With a
// secret, every request either way is signed (./signing); without one, nothing is.
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import type { Router } from 'express';
import type { Logger } from 'pino';
import { backoff, sleep } from '@posts/kit';
import { BusUnavailableError, EventRefusedError, InvalidDeliveryError } from '@posts/bus-client';
import type { BusEvent, BusTransport, DeliveryTarget, LogPage, NewEvent, PubAck, SubscriptionState } from '@posts/bus-client';
import { LOG_HEAD_HEADER, LOG_ID_HEADER } from './protocol';
import { RequestSigner, SIGNATURE_HEADER, SignatureGuard } from './signing';

/** One entry of the bus's `GET /subscriptions`, as far as the SDK reads it. */
interface BusSubscription {
  url: string;
  cursor: number;
  backlog: number;
  attempts: number;
  retries?: number;
  lastError: string | null;
  lastErrorAt: string | null;
}

export interface HttpTransportOptions {
  /** Per-request time limit. */
  timeoutMs?: number;
  /** BUS_SECRET: sign every request, and take only signed deliveries. Unset is open mode. */
  secret?: string;
  /** Where a refused delivery is logged, and the warning that the transport runs open. */
  logger?: Logger;
}

const NO_BODY = Buffer.alloc(0);

export class HttpTransport implements BusTransport {
  private readonly http: AxiosInstance;
  /** The bus URL's path, which every request's signed path starts with. */
  private readonly basePath: string;
  private readonly signer: RequestSigner | undefined;
  private readonly guard: SignatureGuard;

  constructor(
    readonly url: string,
    options: HttpTransportOptions = {},
  ) {
    const base = new URL(url);
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.http = axios.create({
      baseURL: base.origin,
      timeout: options.timeoutMs ?? 10_000,
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 64 }),
      maxRedirects: 0, // the bus never redirects; this also skips follow-redirects' wrapper
    });
    this.signer = options.secret ? new RequestSigner(options.secret) : undefined;
    this.guard = new SignatureGuard(this.signer, options.logger);
    if (!this.signer) options.logger?.warn('BUS_SECRET is not set: talking to the bus unsigned, and taking deliveries from anyone who can reach this service');
  }

  /** Deliveries refused since start for want of a signature. */
  get unauthorizedRequests(): number {
    return this.guard.unauthorizedRequests;
  }

  async append(events: NewEvent[], attempts = 3): Promise<PubAck[]> {
    const path = `${this.basePath}/events`;
    const body = Buffer.from(JSON.stringify(events)); // the bytes sent are the bytes signed
    let maybeStored = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.http.post<PubAck[]>(path, body, { headers: { 'content-type': 'application/json', ...this.signature('POST', path, body) } })).data;
      } catch (err) {
        const status = axios.isAxiosError(err) ? err.response?.status : undefined;
        // Not the event's fault, so not refused for good: a reaction stays owed until the secrets agree again.
        if (status === 401) throw new BusUnavailableError(`the bus refused our signature (is BUS_SECRET the same for both?): ${describeHttpError(err)}`);
        if (status !== undefined && status >= 400 && status < 500) throw new EventRefusedError(`the bus refused the event: ${describeHttpError(err)}`);
        maybeStored ||= !neverSent(err);
        if (attempt >= attempts) throw new BusUnavailableError(`event bus unreachable at ${this.url}: ${describeHttpError(err)}`, maybeStored);
        await sleep(backoff(attempt, 50, 500));
      }
    }
  }

  async read(after: number, limit: number): Promise<LogPage> {
    const path = `${this.basePath}/events?after=${after}&limit=${limit}`;
    const res = await this.http.get<BusEvent[]>(path, { headers: this.signature('GET', path, NO_BODY) }).catch((err) => {
      throw new BusUnavailableError(`cannot read the event log at ${this.url}: ${describeHttpError(err)}`);
    });
    const logId = res.headers[LOG_ID_HEADER];
    const head = Number(res.headers[LOG_HEAD_HEADER]);
    return { events: res.data, logId: typeof logId === 'string' ? logId : undefined, head: Number.isInteger(head) ? head : undefined };
  }

  /** The bus's deliveries: `POST /events`, answered `{ack}` (which also tells the bus this subscriber takes batches). */
  attach(router: Router, target: DeliveryTarget): void {
    router.post('/events', ...this.guard.json('16mb'), async (req, res) => {
      res.json(await target.receive(req.body, { logId: req.get(LOG_ID_HEADER), head: headOf(req.get(LOG_HEAD_HEADER)) }));
    });
  }

  /** The bus's `GET /subscriptions`: one entry per subscriber URL it delivers to. */
  async subscriptions(): Promise<SubscriptionState[]> {
    const path = `${this.basePath}/subscriptions`;
    const res = await this.http.get<BusSubscription[]>(path, { headers: this.signature('GET', path, NO_BODY) }).catch((err) => {
      throw new BusUnavailableError(`cannot read the subscriptions at ${this.url}: ${describeHttpError(err)}`);
    });
    return res.data.map((s) => ({
      name: s.url,
      cursor: s.cursor,
      backlog: s.backlog,
      retries: s.retries ?? 0,
      // The bus keeps the last error after a success; it counts only while deliveries fail.
      ...(s.attempts > 0 && s.lastError ? { lastError: { message: s.lastError, at: s.lastErrorAt ?? '' } } : {}),
    }));
  }

  async close(): Promise<void> {}

  private signature(method: string, path: string, body: Buffer): Record<string, string> {
    return this.signer ? { [SIGNATURE_HEADER]: this.signer.sign({ method, path, body }) } : {};
  }
}

/** A delivery's `x-log-head`: absent from a sender that does not say (open mode), else a seq. */
function headOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new InvalidDeliveryError(`${LOG_HEAD_HEADER} must be the log's last seq`);
  return Number(value);
}

/** The request never left: the bus cannot have stored anything. */
function neverSent(err: unknown): boolean {
  const code = axios.isAxiosError(err) ? err.code : undefined;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
}

function describeHttpError(err: unknown): string {
  if (axios.isAxiosError(err)) {
    if (!err.response) return `${err.code ?? 'error'}: ${err.message}`;
    // The bus answers `{error: {code, message}}`: the cause is worth more than the status.
    const answer = (err.response.data as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    return answer ? `HTTP ${err.response.status} ${String(answer.code)}: ${String(answer.message)}` : `HTTP ${err.response.status}`;
  }
  return err instanceof Error ? err.message : String(err);
}
