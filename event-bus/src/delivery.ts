// One ordered delivery queue per subscriber: a slow or dead subscriber delays only itself.
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import type { Logger } from 'pino';
import { backoff, describeError } from './client';
import type { EventLog } from './log';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface DeliveryOptions {
  /** Most events in one POST: a subscriber that is behind gets pages, not one request each. */
  batchSize?: number;
  /** How long to let events gather before a delivery starts (default 5 ms). */
  lingerMs?: number;
  timeoutMs?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

export interface SubscriptionStatus {
  url: string;
  cursor: number;
  backlog: number;
  attempts: number;
  lastError: string | null;
  lastErrorAt: string | null;
  lastDeliveredAt: string | null;
}

export class Delivery {
  /** Every event up to here was acknowledged by the subscriber. */
  private cursor = 0;
  private attempts = 0;
  private lastError: string | null = null;
  private lastErrorAt: string | null = null;
  private lastDeliveredAt: string | null = null;
  private busy = false;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private wake: (() => void) | null = null;
  private readonly http: AxiosInstance;

  constructor(
    readonly url: string,
    private readonly log: EventLog,
    private readonly logger: Logger,
    private readonly options: DeliveryOptions = {},
  ) {
    this.http = axios.create({
      timeout: options.timeoutMs ?? 15_000,
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 1 }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 1 }),
      headers: { 'content-type': 'application/json' },
      transformRequest: [(body: string) => body],
      validateStatus: (status) => status >= 200 && status < 300,
      maxRedirects: 0,
    });
  }

  /** Something new is in the log: deliver it if nothing is under way. */
  kick(): void {
    if (this.stopped) return;
    if (this.busy) return;
    this.busy = true;
    // Under load a few ms of waiting turns many one-event deliveries into one batch.
    this.running = sleep(this.options.lingerMs ?? 5).then(() => this.run());
  }

  status(): SubscriptionStatus {
    return {
      url: this.url,
      cursor: this.cursor,
      backlog: this.log.head - this.cursor,
      attempts: this.attempts,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      lastDeliveredAt: this.lastDeliveredAt,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private async run(): Promise<void> {
    while (!this.stopped && this.cursor < this.log.head) {
      const lines = this.log.linesAfter(this.cursor, this.options.batchSize ?? 500);
      const lastSeq = this.cursor + lines.length;
      try {
        const res = await this.http.post(this.url, lines.length === 1 ? lines[0] : `[${lines.join(',')}]`, {
          headers: { 'x-log-id': this.log.firstId },
        });
        // A subscriber that pulled further than we sent says so; skip what it already has.
        const ack = typeof res.data?.ack === 'number' ? Math.min(res.data.ack, this.log.head) : 0;
        this.cursor = Math.max(lastSeq, ack);
        this.attempts = 0;
        this.lastDeliveredAt = new Date().toISOString();
      } catch (err) {
        this.attempts++;
        this.lastError = describeError(err);
        this.lastErrorAt = new Date().toISOString();
        const delay = backoff(this.attempts, this.options.backoffBaseMs ?? 100, this.options.backoffCapMs ?? 10_000);
        if (this.attempts === 1 || this.attempts % 10 === 0) {
          this.logger.warn({ subscriber: this.url, error: this.lastError, attempts: this.attempts, cursor: this.cursor }, 'delivery failed; retrying');
        }
        await this.pause(delay);
      }
    }
    // Cleared in the same turn the loop ends, so a kick right after starts a new run.
    this.busy = false;
  }

  /** Waits `ms`, or less if stopped. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        if (this.stopped) done();
      };
    }).finally(() => (this.wake = null));
  }
}
