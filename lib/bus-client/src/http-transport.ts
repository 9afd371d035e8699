// The HTTP transport: posts.com's hand-written event bus. Publishes are POST /events, reads
// GET /events?after&limit, and the bus pushes deliveries to POST /events on the service.
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import express, { type Router } from 'express';
import { backoff, sleep } from '@posts/kit';
import { BusUnavailableError, EventRefusedError } from './errors';
import { LOG_HEAD_HEADER, LOG_ID_HEADER, type BusEvent, type NewEvent, type PubAck } from './protocol';
import type { BusTransport, DeliveryTarget, LogPage } from './transport';

export interface HttpTransportOptions {
  /** Per-request time limit. */
  timeoutMs?: number;
}

export class HttpTransport implements BusTransport {
  private readonly http: AxiosInstance;

  constructor(
    readonly url: string,
    options: HttpTransportOptions = {},
  ) {
    this.http = axios.create({
      baseURL: url.replace(/\/+$/, ''),
      timeout: options.timeoutMs ?? 10_000,
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 64 }),
      maxRedirects: 0, // the bus never redirects; this also skips follow-redirects' wrapper
    });
  }

  async append(events: NewEvent[], attempts = 3): Promise<PubAck[]> {
    let maybeStored = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.http.post<PubAck[]>('/events', events)).data;
      } catch (err) {
        const status = axios.isAxiosError(err) ? err.response?.status : undefined;
        if (status !== undefined && status >= 400 && status < 500) throw new EventRefusedError(`the bus refused the event: ${describeHttpError(err)}`);
        maybeStored ||= !neverSent(err);
        if (attempt >= attempts) throw new BusUnavailableError(`event bus unreachable at ${this.url}: ${describeHttpError(err)}`, maybeStored);
        await sleep(backoff(attempt, 50, 500));
      }
    }
  }

  async read(after: number, limit: number): Promise<LogPage> {
    const res = await this.http.get<BusEvent[]>('/events', { params: { after, limit } }).catch((err) => {
      throw new BusUnavailableError(`cannot read the event log at ${this.url}: ${describeHttpError(err)}`);
    });
    const logId = res.headers[LOG_ID_HEADER];
    const head = Number(res.headers[LOG_HEAD_HEADER]);
    return { events: res.data, logId: typeof logId === 'string' ? logId : undefined, head: Number.isInteger(head) ? head : undefined };
  }

  /** The bus's deliveries: `POST /events`, answered `{ack}` (which also tells the bus this subscriber takes batches). */
  attach(router: Router, target: DeliveryTarget): void {
    router.post('/events', express.json({ limit: '16mb' }), async (req, res) => {
      res.json(await target.receive(req.body, req.get(LOG_ID_HEADER)));
    });
  }

  async close(): Promise<void> {}
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
