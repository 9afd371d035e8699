import type { BusResult } from '../src/bus';
import type { E2EResult } from '../src/e2e';
import type { JetStreamPublishResult } from '../src/jetstream';
import type { ReadPathResult } from '../src/read-path';
import type { BenchResults } from '../src/results';
import { FULL, QUICK } from '../src/sizes';
import { HOMES, type Home, type StateResult } from '../src/state';

const load = { accepted: 500, errors: 0, errorsByStatus: {}, lost: 0, duplicated: 0, wrongStatus: 0, stillPending: 0, writeSeconds: 1.2, settleSeconds: 0.08 };

export function e2e(clients: number, p99: number, settledPerSecond: number, nats = false): E2EResult {
  const latencyMs = { p50: p99 / 4, p90: p99 / 2, p99, max: p99 * 2 };
  return {
    ...load,
    clients,
    settledPerSecond,
    latencyMs,
    posts: QUICK.posts,
    comments: QUICK.comments,
    startSeconds: nats ? 6 : 2.5,
    cpuSeconds: nats ? NATS_CPU : { comments: 0.6, 'event-bus': 0.3, load: 0.2, 'launcher+ingress': 0.25 },
    warmup: { ...load, clients, settledPerSecond, latencyMs: { ...latencyMs, p99: p99 * 3 } },
  };
}

/** Every pod of `npm start -- --nats`: three NATS nodes, two processes of each backend, one client. */
const NATS_CPU: Record<string, number> = {
  'nats-0': 0.5,
  'nats-1': 0.4,
  'nats-2': 0.4,
  'posts-0': 0.1,
  'posts-1': 0.1,
  'comments-0': 0.4,
  'comments-1': 0.4,
  'query-0': 0.2,
  'query-1': 0.2,
  'moderation-0': 0.15,
  'moderation-1': 0.15,
  client: 0,
  load: 0.3,
  'launcher+ingress': 0.5,
};

/** 2,000 publishes from 50 publishers, all acknowledged, at `perSecond`. */
const published = (perSecond: number, p99: number, max: number) => ({
  events: 2000,
  publishers: 50,
  accepted: 2000,
  errors: 0,
  errorsByStatus: {},
  seconds: 2000 / perSecond,
  perSecond,
  latencyMs: { p50: p99 / 4, p99, max },
});

const busRun = (perSecond: number): BusResult => ({
  ...published(perSecond, 20, 30),
  missingOnDisk: 0,
  outOfOrder: 0,
  rawFsyncPerSecond: 7000,
  ratio: Math.round((perSecond / 7000) * 10) / 10,
  cpuSeconds: { bus: 0.4, publishers: 0.2 },
});

const jetStreamRun = (perSecond: number, p99: number): JetStreamPublishResult => ({
  ...published(perSecond, p99, p99 * 2),
  cpuSeconds: { server: 0.3, publishers: 0.25 },
});

/**
 * A quick run in which every goal is met but the bus's throughput (alone, and against JetStream R1), and the 100-client run failed;
 * end to end on JetStream R3 settles 1,100 comments/s at p99 80 ms beside the bus's 1,743 at 59.2.
 */
export function results(): BenchResults {
  return {
    startedAt: '2026-11-24T09:44:00.000Z',
    durationSeconds: 27,
    command: 'npm run bench -- --quick',
    quick: true,
    machine: { cpu: 'AMD EPYC', cores: 2, memoryGB: 23.5, node: 'v20.20.2', os: 'Debian', fs: 'ext4', loadAverageAtStart: 0.5 },
    sizes: QUICK,
    e2e: [
      { clients: 10, result: e2e(10, 24, 1002) },
      { clients: 50, result: e2e(50, 59.2, 1743) },
      { clients: 100, error: 'not ready after 60s: query\nrecent logs: …' },
    ],
    bus: { result: busRun(4000) },
    busSigned: { result: busRun(3600) },
    catchUp: {
      result: {
        events: 10_000,
        posts: 100,
        comments: 3300,
        logMB: 2.5,
        busReadySeconds: 0.2,
        readySeconds: 0.3,
        firstGetPostsMs: 34,
        getPostsMB: 0.5,
        rssMB: { bus: 80, query: 70 },
        peakRssMB: { bus: 90, query: 75 },
      },
    },
    jetStream: {
      server: { version: '2.9.10', syncAlways: false },
      r1: { result: jetStreamRun(6000, 12) },
      r3: { result: jetStreamRun(3000, 30) },
      sdk: { result: jetStreamRun(5400, 14) },
      catchUp: {
        result: {
          events: 10_000,
          posts: 100,
          comments: 3300,
          storeMB: 2.9,
          fillSeconds: 0.6,
          readySeconds: 0.9,
          firstGetPostsMs: 40,
          rssMB: { server: 30, query: 72 },
        },
      },
      e2e: { result: e2e(50, 80, 1100, true) },
    },
    figures: [],
  };
}

/** The read path at one blog size: the first page grows a little and slows a little with the blog. */
export function readPathRun(comments: number, o: { p99?: number; queryMB?: number; paintMs?: number; notRun?: string } = {}): ReadPathResult {
  const grow = Math.log10(comments) - 2; // 1 at 1,000, 3 at 100,000
  return {
    comments,
    posts: 20,
    startSeconds: grow,
    page: { bytes: 5000 + 200 * grow, requests: 500, clients: 10, errors: 0, latencyMs: { p50: 4 + grow, p99: o.p99 ?? 8 + grow, max: 30 } },
    pageWarmup: { bytes: 5000 + 200 * grow, requests: 500, clients: 10, errors: 0, latencyMs: { p50: 6 + grow, p99: 21 + grow, max: 40 } },
    live: { updates: 20, missed: 0, latencyMs: { p50: 25, p99: 40, max: 40 }, frameBytes: 206 },
    rssMB: { comments: 60 + 20 * grow, query: o.queryMB ?? 70 + 20 * grow },
    ...(o.notRun ? { firstPaintNotRun: o.notRun } : { firstPaintMs: o.paintMs ?? 300 + 100 * grow, firstContentfulPaintMs: 250 }),
  };
}

/** A full run's read path: every goal met but query's memory at 100,000 comments (180 MB). */
export function withReadPath(): BenchResults {
  return {
    ...results(),
    sizes: FULL,
    readPath: [
      { comments: 1_000, result: readPathRun(1_000) },
      { comments: 10_000, result: readPathRun(10_000) },
      { comments: 100_000, result: readPathRun(100_000, { queryMB: 180 }) },
    ],
  };
}

/** One state run: memory and the first page grow a little with the blog, PostgreSQL a little slower. */
export function stateRun(comments: number, home: Home, o: { resumeSeconds?: number; queryMB?: number } = {}): StateResult {
  const grow = Math.log10(comments) - 3; // 0 at 1,000
  const slower = home === 'PostgreSQL' ? 2 : 1;
  const each = (v: number) => ({ posts: v, comments: v, query: v, moderation: v });
  return {
    comments,
    events: 20 + 3 * comments,
    logMB: comments / 3000,
    buildSeconds: 2 + grow * slower,
    buildEventsPerSecond: each(40_000 / slower),
    rebuildEventsPerSecond: 60_000 / slower,
    resumeSeconds: o.resumeSeconds ?? 0.3 * slower,
    resumedLogged: true,
    dbMB: each(comments / 2000),
    rssMB: { ...each(90 + grow), query: o.queryMB ?? 90 + grow },
    page: { bytes: 5600, requests: 5000, clients: 10, errors: 0, latencyMs: { p50: 3 * slower, p99: 9 * slower, max: 30 } },
  };
}

/** A quick run with the state sections: every goal met on both homes but query's memory at 20,000 comments embedded (130 MB) and PostgreSQL's end to end (0.70× of E/8). */
export function withState(): BenchResults {
  return {
    ...results(),
    expressCeiling: { result: { perCpuSecond: 16_000, perSecond: 9_000, errors: 0 } },
    e2ePostgres: { result: e2e(50, 70, 1400) },
    state: {
      runs: HOMES.flatMap((home) =>
        QUICK.stateComments[home].map((comments) => ({
          home,
          comments,
          result: stateRun(comments, home, comments === 20_000 && home === 'embedded' ? { queryMB: 130 } : {}),
        })),
      ),
    },
  };
}
