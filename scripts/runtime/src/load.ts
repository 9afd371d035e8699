/**
 * Drives posts.com black-box through its ingress: posts, then comments from N concurrent
 * clients, then polls GET /posts until every accepted comment is there once with its final
 * status. Used by `npm run bench` and by the load test.
 */
import http from 'node:http';
import { request } from './http';
import { sleep } from './wait';

export interface LoadOptions {
  /** The ingress, e.g. http://127.0.0.1:8080. */
  url: string;
  posts: number;
  comments: number;
  clients: number;
  /** Every n-th comment contains "orange" and must end rejected. */
  orangeEvery?: number;
  /** Longest wait for the system to settle after the last write. */
  settleTimeoutMs?: number;
}

export interface LoadResult {
  clients: number;
  accepted: number;
  errors: number;
  /** Error answers by status (0: no answer). */
  errorsByStatus: Record<string, number>;
  lost: number;
  duplicated: number;
  wrongStatus: number;
  stillPending: number;
  writeSeconds: number;
  settleSeconds: number;
  /** accepted ÷ (write time + settle time) */
  settledPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

type ReadModel = Record<string, { id: string; comments: Array<{ id: string; content: string; status: string }> }>;

/** Compares the read model with what was accepted. */
export function audit(model: ReadModel, expected: Map<string, { postId: string; status: string }>) {
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
  return { lost, duplicated, wrongStatus, stillPending };
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const base = new URL(options.url);
  const orangeEvery = options.orangeEvery ?? 5;
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.clients + 2 });
  try {
    const postIds: string[] = [];
    for (let i = 0; i < options.posts; i++) {
      const res = await request(agent, base, 'POST', '/posts/create', { title: `Load post ${i + 1}` });
      if (res.status !== 201) throw new Error(`creating a post answered ${res.status}: ${res.body}`);
      postIds.push(JSON.parse(res.body).id);
    }

    const expected = new Map<string, { postId: string; status: string }>();
    const latencies: number[] = [];
    const errorsByStatus: Record<string, number> = {};
    let next = 0;
    const started = performance.now();
    async function client() {
      for (let i = next++; i < options.comments; i = next++) {
        const postId = postIds[i % postIds.length];
        const rejected = (i + 1) % orangeEvery === 0;
        const content = rejected ? `comment ${i}: I like orange juice` : `comment ${i}: great post`;
        const t0 = performance.now();
        const res = await request(agent, base, 'POST', `/posts/${postId}/comments`, { content });
        latencies.push(performance.now() - t0);
        if (res.status === 201) expected.set(JSON.parse(res.body).id, { postId, status: rejected ? 'rejected' : 'approved' });
        else errorsByStatus[res.status] = (errorsByStatus[res.status] ?? 0) + 1;
      }
    }
    await Promise.all(Array.from({ length: options.clients }, client));
    const wroteAt = performance.now();

    // Settle: poll the read model until every accepted comment is there with its final status.
    const deadline = wroteAt + (options.settleTimeoutMs ?? 60_000);
    let check = { lost: expected.size, duplicated: 0, wrongStatus: 0, stillPending: 0 };
    let settledAt = wroteAt;
    for (;;) {
      const res = await request(agent, base, 'GET', '/posts');
      if (res.status === 200) {
        check = audit(JSON.parse(res.body), expected);
        settledAt = performance.now();
        if (check.lost === 0 && check.stillPending === 0) break;
      }
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
