// One ordered delivery queue per subscriber: a slow or dead subscriber delays only itself.
import http from 'node:http';
import { LOG_HEAD_HEADER, LOG_ID_HEADER, SIGNATURE_HEADER, type RequestSigner } from '@posts/bus-http';
import { backoff, sleep } from '@posts/kit';
import type { Logger } from 'pino';
import type { EventLog } from './log';

export interface DeliveryOptions {
  /** Most events in one POST to a subscriber that takes batches: one that is behind gets pages, not one request each. */
  batchSize?: number;
  /**
   * Most bytes in one POST (default 4 MB; subscribers take 16 MB): a batch of large events that
   * a subscriber refused as too large would be retried forever and stall it.
   */
  batchBytes?: number;
  /** Under load, how long to let events gather before a delivery starts (default 20 ms). */
  lingerMs?: number;
  timeoutMs?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /**
   * A new event cuts a backoff short to this long after the failure (default 250 ms): a subscriber that was down
   * (starting, restarting) gets it soon after it is back, not seconds later, and a dead one a few tries a second.
   */
  retryOnNewEventMs?: number;
  /** Signs every delivery with the bus secret; none in open mode. */
  signer?: RequestSigner;
}

export interface SubscriptionStatus {
  url: string;
  cursor: number;
  backlog: number;
  attempts: number;
  /** Deliveries sent again since start (every failed attempt is retried). */
  retries: number;
  lastError: string | null;
  lastErrorAt: string | null;
  lastDeliveredAt: string | null;
  /** The subscriber answers with an `ack`, so it gets arrays; otherwise one event per request. */
  batches: boolean;
}

export class Delivery {
  /** Every event up to here was acknowledged by the subscriber. */
  private cursor = 0;
  private attempts = 0;
  private retries = 0;
  private lastError: string | null = null;
  private lastErrorAt: string | null = null;
  private lastDeliveredAt: string | null = null;
  /**
   * Arrays only to a subscriber that answered its last delivery with a numeric `ack`: one that
   * reads `req.body.type` answers 200 to an array it could not read, and would lose the events.
   */
  private batches = false;
  private busy = false;
  private lastRunEndedAt = -Infinity;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private wake: (() => void) | null = null;
  /** Shortens the backoff under way, once: something new waits to be delivered. */
  private nudge: (() => void) | null = null;
  /** Something new arrived while a delivery was in flight: the backoff after it, should it fail, is cut short. */
  private nudged = false;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly target: URL;
  /** The path deliveries are signed for: the subscriber checks the one it was sent. */
  private readonly path: string;

  constructor(
    readonly url: string,
    private readonly log: EventLog,
    private readonly logger: Logger,
    private readonly options: DeliveryOptions = {},
  ) {
    this.target = new URL(url);
    this.path = this.target.pathname + this.target.search;
  }

  /** Something new is in the log: deliver it if nothing is under way. */
  kick(): void {
    if (this.stopped) return;
    if (this.busy) {
      if (this.nudge) this.nudge();
      else this.nudged = true;
      return;
    }
    this.busy = true;
    // At rest an event goes out at once; while deliveries run back to back, a short wait turns
    // many small deliveries into one batch, and each costs the bus and the subscriber a request.
    // A subscriber that takes one event at a time gains nothing from the wait.
    const linger = this.batches && performance.now() - this.lastRunEndedAt < 100;
    this.running = linger ? sleep(this.options.lingerMs ?? 20).then(() => this.run()) : this.run();
  }

  status(): SubscriptionStatus {
    return {
      url: this.url,
      cursor: this.cursor,
      backlog: this.log.head - this.cursor,
      attempts: this.attempts,
      retries: this.retries,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      lastDeliveredAt: this.lastDeliveredAt,
      batches: this.batches,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private async run(): Promise<void> {
    while (!this.stopped && this.cursor < this.log.head) {
      try {
        // Inside the try: a failed read of the log is retried like a failed delivery.
        const lines = this.log.linesAfter(this.cursor, this.batches ? (this.options.batchSize ?? 500) : 1, this.options.batchBytes ?? 4 * 1024 * 1024);
        const lastSeq = this.cursor + lines.length;
        this.nudged = false;
        const answer = await this.post(lines.length === 1 ? lines[0] : `[${lines.join(',')}]`);
        const ack = typeof answer?.ack === 'number' ? answer.ack : undefined;
        this.batches = ack !== undefined;
        if (ack === undefined && lines.length > 1) {
          // A 2xx without an ack says nothing about an array: send these again, one at a time.
          this.logger.warn({ subscriber: this.url, cursor: this.cursor }, 'subscriber answered a batch without an ack; sending one event per request');
          continue;
        }
        // A subscriber that pulled further than we sent says so; skip what it already has.
        this.cursor = Math.max(lastSeq, Math.min(ack ?? 0, this.log.head));
        this.attempts = 0;
        this.lastDeliveredAt = new Date().toISOString();
      } catch (err) {
        this.attempts++;
        this.retries++;
        this.lastError = (err as Error).message;
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
    this.lastRunEndedAt = performance.now();
  }

  /**
   * POSTs the events with the log's id and head (a subscriber applies no seq past that head);
   * resolves with the subscriber's answer on a 2xx, rejects otherwise.
   */
  private post(json: string): Promise<{ ack?: unknown } | undefined> {
    const body = Buffer.from(json); // encoded once: the bytes signed are the bytes sent
    const logId = this.log.firstId ?? '';
    const head = String(this.log.head);
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/json',
      'content-length': body.length,
      [LOG_ID_HEADER]: logId,
      [LOG_HEAD_HEADER]: head,
    };
    if (this.options.signer) headers[SIGNATURE_HEADER] = this.options.signer.sign({ method: 'POST', path: this.path, logId, head, body });
    return new Promise((resolve, reject) => {
      const req = http.request(this.target, { method: 'POST', agent: this.agent, timeout: this.options.timeoutMs ?? 15_000, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) return reject(new Error(`HTTP ${status}`));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch {
            resolve(undefined); // a 2xx is the acknowledgement, whatever its body
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error(`timed out after ${this.options.timeoutMs ?? 15_000} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code ? `${err.code}: ${err.message}` : err.message)));
      req.end(body);
    });
  }

  /** Waits `ms`, or less if stopped or nudged. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const started = performance.now();
      let timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        if (this.stopped) done();
      };
      this.nudge = () => {
        this.nudge = null;
        const soon = this.options.retryOnNewEventMs ?? 250;
        if (soon >= ms) return;
        clearTimeout(timer);
        timer = setTimeout(done, Math.max(0, started + soon - performance.now()));
      };
      if (this.nudged) this.nudge();
    }).finally(() => {
      this.wake = null;
      this.nudge = null;
    });
  }
}
