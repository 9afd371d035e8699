/**
 * Posts, then comments from concurrent clients through the ingress, then GET /posts until every accepted comment
 * shows once with its final status. A write whose outcome is unclear is retried with its Idempotency-Key, as a careful client would.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { request, type Answer } from './http';
import { sleep } from './wait';

export interface LoadOptions {
  /** The ingress, e.g. http://127.0.0.1:8080. */
  url: string;
  posts: number;
  comments: number;
  clients: number;
  /** Every n-th comment contains "orange" and must end rejected. */
  orangeEvery?: number;
  settleTimeoutMs?: number;
  /** How long an unclear write is retried before it counts as unresolved (default 60 s). */
  retryUnclearMs?: number;
  /** Settled reads in a row (default 1): as many as there are query processes behind the round robin. */
  settledReads?: number;
  /** After each 201, with the count so far. Must not throw. */
  onAccepted?: (accepted: number) => void;
}

export interface LoadResult {
  clients: number;
  accepted: number;
  /** Refused, or still unclear when the retries ran out. */
  errors: number;
  /** Last answers by status (0: no answer). */
  errorsByStatus: Record<string, number>;
  // Optional: results recorded before these fields existed lack them.
  /** Refused for sure (see refusedForSure): not retried. */
  refused?: number;
  refusedByCode?: Record<string, number>;
  /** Writes answered unclearly at least once. */
  unclearRetried?: number;
  unclearByCode?: Record<string, number>;
  unresolved?: number;
  lost: number;
  duplicated: number;
  wrongStatus: number;
  stillPending: number;
  /** Refused comments in the read model after all. */
  refusedStored?: number;
  /** Comments on the load's posts that no 201 accounts for. */
  stray?: number;
  writeSeconds: number;
  settleSeconds: number;
  /** accepted ÷ (write time + settle time) */
  settledPerSecond: number;
  /** From a write's first try to its last answer. */
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

type ReadModel = Record<string, { id: string; comments: Array<{ id: string; content: string; status: string }> }>;

export interface AuditScope {
  postIds: Iterable<string>;
  refused: Array<{ postId: string; content: string }>;
}

/** Compares the read model with what was accepted, and with what was refused on the scope's posts. */
export function audit(model: ReadModel, expected: Map<string, { postId: string; status: string }>, scope: AuditScope) {
  const seen = new Map<string, number>();
  let wrongStatus = 0;
  let stillPending = 0;
  for (const post of Object.values(model)) {
    for (const c of post.comments) {
      seen.set(c.id, (seen.get(c.id) ?? 0) + 1);
      const want = expected.get(c.id);
      if (!want) continue;
      if (c.status === 'pending') stillPending++;
      else if (c.status !== want.status || post.id !== want.postId) wrongStatus++;
    }
  }
  let lost = 0;
  let duplicated = 0;
  for (const id of expected.keys()) {
    const n = seen.get(id) ?? 0;
    if (n === 0) lost++;
    if (n > 1) duplicated++;
  }
  let stray = 0;
  for (const postId of scope.postIds) for (const c of model[postId]?.comments ?? []) if (!expected.has(c.id)) stray++;
  const refusedStored = scope.refused.filter((r) => model[r.postId]?.comments.some((c) => c.content === r.content)).length;
  return { lost, duplicated, wrongStatus, stillPending, refusedStored, stray };
}

/** An answer that says nothing was stored. */
export function refusedForSure(status: number, code: string, message: string): boolean {
  if (status >= 400 && status < 500) return true; // bad input, unknown post, too large, rate limited: checked before anything is stored
  if (status === 503 && code === 'unavailable') return true; // ingress: not running; service: the log unreachable, nothing sent
  if (status === 503 && code === 'no_ready_endpoint') return true; // ingress: running but not ready, never reached
  if (status === 502 && /ECONNREFUSED/.test(message)) return true; // ingress: nobody listening
  return false;
}

/** The `{error: {code, message}}` an answer holds; status 0 is no answer. */
function errorOf({ status, body }: Answer): { code: string; message: string } {
  if (status === 0) return { code: 'no_answer', message: '' };
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = JSON.parse(body)?.error;
  } catch {
    error = undefined;
  }
  return { code: typeof error?.code === 'string' ? error.code : 'no_error_body', message: typeof error?.message === 'string' ? error.message : '' };
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const base = new URL(options.url);
  const orangeEvery = options.orangeEvery ?? 5;
  const retryUnclearMs = options.retryUnclearMs ?? 60_000;
  const settledReads = options.settledReads ?? 1;
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.clients + 2 });
  // Keys unique to this run, so a second run on the same system is not taken for retries of the first.
  const run = randomUUID();
  const refusedByCode: Record<string, number> = {};
  const unclearByCode: Record<string, number> = {};
  let unclearRetried = 0;
  const count = (tally: Record<string, number>, key: string) => (tally[key] = (tally[key] ?? 0) + 1);

  /** POSTs `body` with its Idempotency-Key, again while the outcome is unclear. */
  async function write(urlPath: string, body: unknown, key: string): Promise<{ answer: Answer; outcome: 'accepted' | 'refused' | 'unresolved' }> {
    const deadline = performance.now() + retryUnclearMs;
    for (let attempt = 0; ; attempt++) {
      const answer = await request(agent, base, 'POST', urlPath, body, 30_000, { 'idempotency-key': key });
      if (answer.status === 201) return { answer, outcome: 'accepted' };
      const { code, message } = errorOf(answer);
      // A refusal on a retry says nothing of the first try, which may have been stored: that stays unclear.
      if (attempt === 0 && refusedForSure(answer.status, code, message)) {
        count(refusedByCode, `${answer.status} ${code}`);
        return { answer, outcome: 'refused' };
      }
      count(unclearByCode, `${answer.status} ${code}`);
      if (attempt === 0) unclearRetried++;
      if (performance.now() > deadline) return { answer, outcome: 'unresolved' };
      await sleep(Math.min(100 + attempt * 50, 1000));
    }
  }

  try {
    const postIds: string[] = [];
    for (let i = 0; i < options.posts; i++) {
      const { answer, outcome } = await write('/posts/create', { title: `Load post ${i + 1}` }, `load-${run}-post-${i}`);
      if (outcome !== 'accepted') throw new Error(`creating a post answered ${answer.status}: ${answer.body}`);
      postIds.push(JSON.parse(answer.body).id);
    }

    const expected = new Map<string, { postId: string; status: string }>();
    const refused: Array<{ postId: string; content: string }> = [];
    const latencies: number[] = [];
    const errorsByStatus: Record<string, number> = {};
    let unresolved = 0;
    let next = 0;
    const started = performance.now();
    async function client() {
      for (let i = next++; i < options.comments; i = next++) {
        const postId = postIds[i % postIds.length];
        const rejected = (i + 1) % orangeEvery === 0;
        const content = rejected ? `comment ${i}: I like orange juice` : `comment ${i}: great post`;
        const t0 = performance.now();
        const { answer, outcome } = await write(`/posts/${postId}/comments`, { content }, `load-${run}-comment-${i}`);
        latencies.push(performance.now() - t0);
        if (outcome === 'accepted') {
          expected.set(JSON.parse(answer.body).id, { postId, status: rejected ? 'rejected' : 'approved' });
          options.onAccepted?.(expected.size);
          continue;
        }
        count(errorsByStatus, String(answer.status));
        if (outcome === 'refused') refused.push({ postId, content });
        else unresolved++;
      }
    }
    await Promise.all(Array.from({ length: options.clients }, client));
    const wroteAt = performance.now();

    // Settle: poll the read model until every accepted comment is there with its final status, `settledReads` times in a row.
    const deadline = wroteAt + (options.settleTimeoutMs ?? 60_000);
    const scope = { postIds, refused };
    let check = { lost: expected.size, duplicated: 0, wrongStatus: 0, stillPending: 0, refusedStored: 0, stray: 0 };
    let settledAt = wroteAt;
    let inARow = 0;
    for (;;) {
      const res = await request(agent, base, 'GET', '/posts');
      if (res.status === 200) {
        check = audit(JSON.parse(res.body), expected, scope);
        if (check.lost === 0 && check.stillPending === 0) {
          if (inARow++ === 0) settledAt = performance.now();
          if (inARow >= settledReads) break;
        } else {
          inARow = 0;
          settledAt = performance.now();
        }
      } else inARow = 0;
      if (performance.now() > deadline) break;
      await sleep(20);
    }

    latencies.sort((a, b) => a - b);
    const writeSeconds = (wroteAt - started) / 1000;
    const settleSeconds = (settledAt - wroteAt) / 1000;
    const round = (n: number) => Math.round(n * 10) / 10;
    return {
      clients: options.clients,
      accepted: expected.size,
      errors: options.comments - expected.size,
      errorsByStatus,
      refused: refused.length,
      refusedByCode,
      unclearRetried,
      unclearByCode,
      unresolved,
      ...check,
      writeSeconds: Math.round(writeSeconds * 1000) / 1000,
      settleSeconds: Math.round(settleSeconds * 1000) / 1000,
      settledPerSecond: Math.round(expected.size / (writeSeconds + settleSeconds)),
      latencyMs: {
        p50: round(percentile(latencies, 50)),
        p90: round(percentile(latencies, 90)),
        p99: round(percentile(latencies, 99)),
        max: round(latencies.at(-1) ?? 0),
      },
    };
  } finally {
    agent.destroy();
  }
}
