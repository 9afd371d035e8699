import http from 'node:http';
import { sleep } from '@posts/kit/testing';

/** An answer as the writers read it: JSON, or `{raw}` when it is not. */
interface Answer {
  status: number;
  body: { error?: { code?: string; message?: string }; id?: string; [k: string]: unknown };
}

/**
 * Writes posts and comments through the ingress from a few concurrent clients, as people
 * would, each write with its own Idempotency-Key. A write whose outcome is unclear (the
 * service died mid-request) is retried with the same key until it is answered; a write
 * refused for sure is remembered, to check it left nothing behind.
 */
export class Writers {
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  readonly posts = new Map<string, string>(); // id → title
  readonly comments = new Map<string, { postId: string; content: string; status: 'approved' | 'rejected' }>();
  readonly refused: Array<{ kind: 'post' | 'comment'; text: string; status: number; code: string }> = [];
  readonly unclear: Array<{ status: number; code: string }> = [];
  readonly unexplained: Array<{ status: number; body: unknown }> = [];
  /** The longest any one answer took, in ms. */
  slowestMs = 0;
  private running = false;
  private loops: Promise<void>[] = [];
  private n = 0;

  constructor(
    private readonly base: URL,
    readonly run: string,
  ) {}

  start(clients = 4) {
    this.running = true;
    this.loops = Array.from({ length: clients }, () => this.loop());
  }

  async stop() {
    this.running = false;
    await Promise.all(this.loops);
  }

  get accepted() {
    return this.posts.size + this.comments.size;
  }

  private async loop() {
    while (this.running) {
      const i = this.n++;
      const postIds = [...this.posts.keys()];
      if (postIds.length < 3 || i % 10 === 0) await this.write('post', '/posts/create', { title: `${this.run} post ${i}` });
      else {
        const postId = postIds[i % postIds.length];
        const content = i % 4 === 0 ? `${this.run} comment ${i}: Orange!` : `${this.run} comment ${i}: nice`;
        await this.write('comment', `/posts/${postId}/comments`, { content }, postId);
      }
      await sleep(5);
    }
  }

  private async write(kind: 'post' | 'comment', urlPath: string, body: { title?: string; content?: string }, postId?: string) {
    const key = `${this.run}-${this.n}-${Math.random().toString(36).slice(2)}`;
    const text = body.title ?? body.content!;
    const deadline = Date.now() + 60_000;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const res = await this.send(urlPath, body, key);
      if (res.status === 201) {
        if (kind === 'post') this.posts.set(res.body.id!, text);
        else this.comments.set(res.body.id!, { postId: postId!, content: text, status: /orange/i.test(text) ? 'rejected' : 'approved' });
        return;
      }
      const code = res.body?.error?.code;
      if (typeof code !== 'string' || typeof res.body.error?.message !== 'string') {
        this.unexplained.push(res);
        return;
      }
      if (this.refusedForSure(res.status, code, res.body.error.message) && attempt === 0) {
        this.refused.push({ kind, text, status: res.status, code });
        return;
      }
      // Unclear (or refused on a retry, after an unclear first try): retry with the same key.
      this.unclear.push({ status: res.status, code });
      await sleep(100 + attempt * 50);
    }
    throw new Error(`a ${kind} write was never answered with 201 in 60 s`);
  }

  /** Refusals that say nothing was stored: the request never reached a service or the bus. */
  private refusedForSure(status: number, code: string, message: string) {
    if (status === 503 && code === 'unavailable') return true; // ingress: not running; service: bus unreachable
    if (status === 503 && code === 'no_ready_endpoint') return true; // ingress: running but not ready, never reached
    if (status === 502 && /ECONNREFUSED/.test(message)) return true; // ingress: nobody listening
    return false;
  }

  private async send(urlPath: string, body: unknown, key: string): Promise<Answer> {
    const started = Date.now();
    const answer = await this.sendOnce(urlPath, body, key);
    this.slowestMs = Math.max(this.slowestMs, Date.now() - started);
    return answer;
  }

  private sendOnce(urlPath: string, body: unknown, key: string): Promise<Answer> {
    const payload = JSON.stringify(body);
    return new Promise((resolve) => {
      const req = http.request(
        {
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port,
          method: 'POST',
          path: urlPath,
          headers: { host: 'posts.com', 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'idempotency-key': key },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Answer['body'];
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = { raw: text };
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', () => resolve({ status: 0, body: { error: { code: 'connection_lost', message: 'ECONNRESET' } } }));
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
      // The ingress itself stays up; a reset here is a lost connection, an unclear outcome.
      req.on('error', (err) => resolve({ status: 0, body: { error: { code: 'connection_lost', message: err.message } } }));
      req.end(payload);
    });
  }
}
