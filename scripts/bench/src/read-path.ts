/** The read path against the blog's size: the whole system started on a written log, measured through the ingress. */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Comment } from '@posts/contracts';
import { chromium } from 'playwright-core';
import { until } from '@posts/kit/testing';
import { request, SERVICE_NAMES, startSystem } from '@posts/runtime';
import { blogLog, writeEnvelopes } from './catch-up';
import { latencySummary } from './format';
import { memoryMB } from './processes';
import { concurrently } from './publishers';
import { errorText } from './results';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface ReadPathResult {
  comments: number;
  posts: number;
  startSeconds: number;
  /** Judged on the warm system. */
  page: PageReads;
  /** The same reads right after start, before `page`: what the first visitors of a cold system see. */
  pageWarmup?: PageReads;
  /** POST a comment → its `comment` event on /posts/live. */
  live: { updates: number; missed: number; latencyMs: { p50: number; p99: number; max: number }; frameBytes: number };
  rssMB: { comments: number; query: number };
  /** Navigation → the first post's article visible, ms, median. */
  firstPaintMs?: number;
  firstContentfulPaintMs?: number;
  firstPaintNotRun?: string;
}

export type PageReads = Awaited<ReturnType<typeof measurePage>>;
export type ReadPathResults = Array<{ comments: number; result?: ReadPathResult; error?: string }>;

/** One request through the ingress as posts.com; status 0 when there is no answer. */
const call = (port: number, agent: http.Agent | false, method: string, p: string, body?: unknown) =>
  request(agent, new URL(`http://127.0.0.1:${port}`), method, p, body);

export async function measurePage(port: number, requests: number, clients: number) {
  const first = await call(port, false, 'GET', '/posts/page');
  if (first.status !== 200) throw new Error(`GET /posts/page answered ${first.status}`);
  const bytes = Buffer.byteLength(first.body);
  // A page of the blog that was written, not of an empty one still catching up.
  const shown = (JSON.parse(first.body) as { posts?: Array<{ commentCount?: number }> }).posts ?? [];
  if (shown.length === 0 || !shown.some((p) => (p.commentCount ?? 0) > 0)) throw new Error(`GET /posts/page shows no comments: ${first.body.slice(0, 200)}`);
  const agents = Array.from({ length: clients }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const reads = await concurrently(requests, clients, async (c) => {
    const { status } = await call(port, agents[c], 'GET', '/posts/page');
    return status === 200 ? undefined : String(status);
  }).finally(() => agents.forEach((agent) => agent.destroy()));
  return { bytes, requests, clients, errors: reads.errors, latencyMs: reads.latencyMs };
}

/** A server-sent event's text, and performance.now() when its bytes arrived. */
type SseFrame = { text: string; at: number };

/** GET /posts/live held open; `waitFor` answers the first frame that matches, or undefined after `ms`. */
function openLive(port: number): Promise<{ waitFor: (match: (f: SseFrame) => boolean, ms: number) => Promise<SseFrame | undefined>; close: () => void }> {
  return new Promise((resolve, reject) => {
    const frames: SseFrame[] = [];
    const req = http.request({ host: '127.0.0.1', port, path: '/posts/live', headers: { host: 'posts.com' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`GET /posts/live answered ${res.statusCode}`));
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = performance.now();
        const texts = (buffer += chunk).split(/(?<=\n\n)/);
        buffer = texts[texts.length - 1].endsWith('\n\n') ? '' : texts.pop()!;
        frames.push(...texts.map((text) => ({ text, at })));
      });
      // Polled: the time measured is each frame's arrival, not when the poll sees it.
      const waitFor = (match: (f: SseFrame) => boolean, ms: number) => until('a frame', () => frames.find(match), ms, 2).catch(() => undefined);
      resolve({ waitFor, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

async function measureLive(port: number, postId: string, updates: number): Promise<ReadPathResult['live']> {
  const live = await openLive(port);
  try {
    // The stream says `start` once it is caught up; whatever it says first will do if it never does.
    await live.waitFor((f) => /^event: start$/m.test(f.text), 2000);
    const latencies: number[] = [];
    let frameBytes = 0;
    let missed = 0;
    for (let i = 0; i < updates; i++) {
      const content = `read path ${i} ${randomUUID()}`;
      const t = performance.now();
      const posted = await call(port, false, 'POST', `/posts/${postId}/comments`, { content });
      if (posted.status !== 201) throw new Error(`POST /posts/${postId}/comments answered ${posted.status}: ${posted.body.slice(0, 200)}`);
      const f = await live.waitFor((fr) => /^event: comment$/m.test(fr.text) && fr.at >= t && fr.text.includes(content), 5000);
      if (!f) {
        missed++;
        continue;
      }
      latencies.push(f.at - t);
      frameBytes = Math.max(frameBytes, Buffer.byteLength(f.text));
    }
    return { updates, missed, latencyMs: latencySummary(latencies), frameBytes };
  } finally {
    live.close();
  }
}

async function measureFirstPaint(
  url: string,
  navigations: number,
): Promise<Pick<ReadPathResult, 'firstPaintMs' | 'firstContentfulPaintMs' | 'firstPaintNotRun'>> {
  if (!existsSync(CHROMIUM_PATH)) return { firstPaintNotRun: `no Chromium at ${CHROMIUM_PATH}` };
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const visible: number[] = [];
    const fcp: number[] = [];
    for (let i = 0; i < navigations; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const t = performance.now();
      await page.goto(url, { waitUntil: 'commit' });
      await page.locator('article').first().waitFor({ state: 'visible', timeout: 30_000 });
      visible.push(performance.now() - t);
      const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1);
      if (paint >= 0) fcp.push(paint);
      await context.close();
    }
    const median = (v: number[]) => (v.length ? Math.round(latencySummary(v).p50) : undefined);
    return { firstPaintMs: median(visible), firstContentfulPaintMs: median(fcp) };
  } finally {
    await browser.close();
  }
}

// Ten clients keep ten reads in flight, so one stall delays ten at once: over 500 reads the p99 would be the worst stall.
export const READS = { page: 5000, warmup: 500, clients: 10, liveUpdates: 20, navigations: 3 };

export async function runReadPath(o: { workDir: string; comments: number; posts: number }): Promise<ReadPathResult> {
  const dataDir = mkdtempSync(path.join(o.workDir, `read-${o.comments}-`));
  const envelopes = blogLog(o.posts, o.comments);
  writeEnvelopes(path.join(dataDir, 'events.ndjson'), envelopes);
  const postId = (envelopes[envelopes.length - 1].data as Comment).postId;
  envelopes.length = 0;
  const t0 = performance.now();
  const env = Object.fromEntries(SERVICE_NAMES.map((s) => [s, { LOG_LEVEL: 'warn' }]));
  const system = await startSystem({ quiet: true, dataDir, env, readyTimeoutMs: 180_000, onSignal: () => process.exit(130) });
  const startSeconds = Math.round((performance.now() - t0) / 10) / 100;
  try {
    const port = system.ports.ingress;
    // As in the end-to-end runs: the first reads of a fresh system reported, the page judged on the warm one.
    const pageWarmup = await measurePage(port, READS.warmup, READS.clients);
    const page = await measurePage(port, READS.page, READS.clients);
    const live = await measureLive(port, postId, READS.liveUpdates);
    const paint = await measureFirstPaint(system.url, READS.navigations).catch((err: unknown) => ({
      firstPaintNotRun: `failed: ${errorText(err).split('\n')[0]}`,
    }));
    const rssMB = { comments: memoryMB(system.pid('comments')).rss, query: memoryMB(system.pid('query')).rss };
    return { comments: o.comments, posts: o.posts, startSeconds, page, pageWarmup, live, rssMB, ...paint };
  } finally {
    await system.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
