/** The bus's measurements repeated on NATS JetStream: raw nats.js on R1 and R3, the SDK on R1, catch-up, and end to end. */
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { connectBus } from '@posts/bus-client';
import '@posts/bus-jetstream';
import { sleep } from '@posts/kit/testing';
import { freePorts } from '@posts/runtime';
import { logEvents, timeQuery } from './catch-up';
import { runE2E, type E2EResult } from './e2e';
import { installedNatsServer, NATS_PASSWORD, NATS_USER, startNatsServers, type NatsServers, type NatsServerVersion } from './nats-server';
import { cpuSeconds, ownCpuSeconds } from './processes';
import { runPublishers, type PublishedEvent } from './publishers';
import { attempt, errorText, type Outcome } from './results';
import { WARMUP_PUBLISHES, type Sizes } from './sizes';

/** A publish run, and the CPU seconds every nats-server together and this process spent in it. */
export type JetStreamPublishResult = Awaited<ReturnType<typeof publishOn>>;

export type JetStreamCatchUpResult = Awaited<ReturnType<typeof catchUpFromStream>>;

export interface JetStreamResults {
  /** Why nothing here ran ("nats-server not installed"). */
  notRun?: string;
  server?: NatsServerVersion;
  /** raw js.publish on one server, on three, and the SDK's publish on one */
  r1: Outcome<JetStreamPublishResult>;
  r3: Outcome<JetStreamPublishResult>;
  sdk: Outcome<JetStreamPublishResult>;
  catchUp: Outcome<JetStreamCatchUpResult>;
  /** End to end on R3, two processes of each backend. */
  e2e: Outcome<E2EResult>;
}

const STREAM = 'EVENTS';

const connectTo = (url: string): Promise<NatsConnection> =>
  connect({ servers: url.split(',').map((part) => new URL(part).host), user: NATS_USER, pass: NATS_PASSWORD, timeout: 10_000 });

/** An empty stream EVENTS as the SDK's JetStream transport makes it; retried while a new cluster elects its leader. */
async function freshStream(nc: NatsConnection, replicas: number): Promise<void> {
  const config = { name: STREAM, subjects: ['events.>'], storage: StorageType.File, num_replicas: replicas, duplicate_window: 10 * 60e9 };
  for (const deadline = performance.now() + 30_000; ; await sleep(200)) {
    try {
      const jsm = await jetstreamManager(nc, { timeout: 2_000 });
      await jsm.streams.delete(STREAM).catch(() => undefined);
      return void (await jsm.streams.add(config));
    } catch (err) {
      if (performance.now() > deadline) throw new Error(`no JetStream stream with ${replicas} replicas after 30 s: ${errorText(err)}`, { cause: err });
    }
  }
}

/** The bytes the SDK's JetStream transport stores for `event`. */
const stored = (event: PublishedEvent) => JSON.stringify({ id: event.id, type: event.type, data: event.data, at: new Date().toISOString() });

async function publishOn(servers: NatsServers, events: number, publishers: number, publish: (event: PublishedEvent) => Promise<unknown>) {
  const serverCpu = () => servers.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const before = serverCpu();
  const self = process.cpuUsage();
  const figures = await runPublishers(events, publishers, async (_p, event) => void (await publish(event)));
  const server = Math.round((serverCpu() - before) * 100) / 100;
  return { ...figures, cpuSeconds: { server, publishers: ownCpuSeconds(self) } };
}

/** raw nats.js as its docs advise: one connection for the process, every publisher's `js.publish` in flight on it. */
async function publishRaw(servers: NatsServers, events: number, publishers: number): Promise<JetStreamPublishResult> {
  const nc = await connectTo(servers.url);
  const js = jetstream(nc);
  return publishOn(servers, events, publishers, (e) => js.publish(`events.${e.type}`, stored(e), { msgID: e.id })).finally(() => nc.close());
}

/** The SDK as a service holds it: one `connectBus('nats://…')`, one connection, every publisher publishing through it. */
async function publishSdk(servers: NatsServers, events: number, publishers: number): Promise<JetStreamPublishResult> {
  const bus = connectBus(servers.url);
  // Connected and the stream found before the clock starts, as the raw publishers' connection is.
  await bus.transport.read(0, 0);
  return publishOn(servers, events, publishers, (e) => bus.publish(e)).finally(() => bus.close());
}

/** The catch-up log published into a fresh stream, then query started on it and timed to ready. */
async function catchUpFromStream(servers: NatsServers, admin: NatsConnection, events: number) {
  const { envelopes, posts, comments } = logEvents(events);
  await freshStream(admin, 1);
  const t = performance.now();
  const js = jetstream(admin);
  // A window at a time on one connection, sent in order: the stream's seqs are the log's.
  for (let i = 0; i < envelopes.length; i += 1000) {
    const window = envelopes
      .slice(i, i + 1000)
      .map(({ seq: _seq, ...event }) => js.publish(`events.${event.type}`, JSON.stringify(event), { msgID: event.id }));
    await Promise.all(window);
  }
  // Reported in the raw results, not judged.
  const fillSeconds = Math.round((performance.now() - t) / 10) / 100;
  const { state } = await (await jetstreamManager(admin)).streams.info(STREAM);
  if (state.messages !== events) throw new Error(`the stream holds ${state.messages} events, not ${events}`);
  const [queryPort] = await freePorts(1);
  const { readySeconds, firstGetPostsMs, query, holder } = await timeQuery(queryPort, servers.url, servers.pids[0]);
  const storeMB = Math.round(state.bytes / 104857.6) / 10;
  return { events, posts, comments, storeMB, fillSeconds, readySeconds, firstGetPostsMs, rssMB: { server: holder.rss, query: query.rss } };
}

/** `run` on `count` fresh servers with an admin connection to them; the servers are stopped after, whatever happened. */
async function onServers<T>(dir: string, count: number, syncAlways: boolean, run: (servers: NatsServers, admin: NatsConnection) => Promise<T>): Promise<T> {
  const servers = await startNatsServers(dir, count, syncAlways);
  try {
    const admin = await connectTo(servers.url);
    return await run(servers, admin).finally(() => admin.close());
  } finally {
    await servers.stop();
  }
}

/** Every JetStream part, each on a fresh stream; a part that fails says why in its result. */
export async function runJetStreamBench(workDir: string, sizes: Sizes): Promise<JetStreamResults> {
  const server = installedNatsServer();
  if (!server) return { notRun: 'nats-server not installed', r1: {}, r3: {}, sdk: {}, catchUp: {}, e2e: {} };
  const results: JetStreamResults = { server, r1: {}, r3: {}, sdk: {}, catchUp: {}, e2e: {} };
  const dir = mkdtempSync(path.join(workDir, 'nats-'));
  const [events, publishers] = [sizes.busEvents, sizes.busPublishers];
  try {
    const one = await attempt(() =>
      onServers(path.join(dir, 'r1'), 1, server.syncAlways, async (servers, admin) => {
        // Untimed, so neither timed run pays for a cold client.
        for (const warmUp of [publishRaw, publishSdk]) {
          await freshStream(admin, 1);
          await warmUp(servers, WARMUP_PUBLISHES, publishers);
        }
        await freshStream(admin, 1);
        results.r1 = await attempt(() => publishRaw(servers, events, publishers));
        await freshStream(admin, 1);
        results.sdk = await attempt(() => publishSdk(servers, events, publishers));
        results.catchUp = await attempt(() => catchUpFromStream(servers, admin, sizes.catchUpEvents));
      }),
    );
    // What had not run by then failed with it.
    if (one.error) for (const part of [results.r1, results.sdk, results.catchUp]) if (!part.result && !part.error) part.error = one.error;

    results.r3 = await attempt(() =>
      onServers(path.join(dir, 'r3'), 3, server.syncAlways, async (servers, admin) => {
        await freshStream(admin, 3);
        return publishRaw(servers, events, publishers);
      }),
    );
    // After the bench's own servers are gone: the launcher starts the three nodes of infra/k8s-nats itself, with the bus's judged run's sizes.
    const e2e = { workDir, clients: sizes.judgedClients, posts: sizes.posts, comments: sizes.comments, nats: true };
    results.e2e = await attempt(() => runE2E(e2e));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
