// The JetStream transport while a server of a three-server cluster dies (SIGKILL), the stream on all
// three: a follower goes on from another server within seconds, each event once and in seq order,
// and a read whose server died fails, to be retried, rather than wait for ever.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { BusEvent, DeliveryTarget } from '@posts/bus-client';
import { until } from '@posts/kit/testing';
import { JetStreamTransport, parseNatsUrl } from '../src/jetstream-transport';
import { startNatsCluster, whyNoNatsServer, type NatsCluster } from './nats-server';

const cannotRun = whyNoNatsServer();
if (cannotRun) console.warn(`JetStream failover tests skipped: ${cannotRun}`);

/**
 * From the kill to the events published after it, delivered: far below the stall this guards against (87 s and
 * more), above a new leader's election (a follower waits 4-9 s for a lost leader before it campaigns) on a busy machine.
 */
const RESUME_MS = 20_000;

const items = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ id: `Item:${from + i}`, type: 'Item', data: { n: from + i } }));
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** Retried as a service retries a publish (the id makes it idempotent) or a read while the cluster elects new leaders. */
async function soon<T>(attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + RESUME_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A target recording every seq delivered to it, followed from the last. */
function recorder() {
  const seqs: number[] = [];
  const target: DeliveryTarget = {
    receive: async (delivery) => {
      seqs.push((delivery as BusEvent).seq);
      return { ack: (delivery as BusEvent).seq };
    },
  };
  return { seqs, target, after: () => seqs.at(-1) ?? 0 };
}

if (cannotRun) {
  it.skip(`JetStream failover: ${cannotRun}`, () => undefined);
} else {
  describe('JetStream transport, when a server of the cluster dies', () => {
    let cluster: NatsCluster;
    let transports: JetStreamTransport[] = [];
    const transport = (url: string, timeoutMs?: number) => {
      const made = new JetStreamTransport(url, { replicas: 3, timeoutMs });
      transports.push(made);
      return made;
    };
    beforeEach(async () => (cluster = await startNatsCluster()), 60_000);
    afterEach(async () => {
      await Promise.all(transports.map((t) => t.close()));
      transports = [];
      await cluster?.stop();
    });

    /** The server holding the stream's one consumer (an ordered consumer lives on one server), once there is one. */
    async function consumerServer(): Promise<string | undefined> {
      const nc = await connect(parseNatsUrl(cluster.url()));
      const consumers = await (await jetstreamManager(nc)).consumers.list('EVENTS').next();
      await nc.close();
      return consumers[0]?.cluster?.leader;
    }

    /** The server the transport's connection is on (a private field, read by the test alone). */
    const serverOf = async (transport: JetStreamTransport) => (await transport['session'])!.nc.info!.server_name;

    /** Follows the log from its start, kills the server `victim` names, and expects the events published after. */
    async function followThroughKill(victim: (follower: JetStreamTransport) => Promise<string>): Promise<{ follower: JetStreamTransport; killed: string }> {
      const follower = transport(cluster.url());
      const { seqs, target, after } = recorder();
      await follower.append(items(1, 3));
      follower.follow(target, after);
      await until('the events before the kill', () => seqs.length >= 3, 5_000);

      const killed = await victim(follower);
      await cluster.kill(cluster.names.indexOf(killed));
      const killedAt = Date.now();
      const publisher = transport(cluster.url(cluster.names.flatMap((name, i) => (name === killed ? [] : [i]))), 2_000);
      await soon(() => publisher.append(items(4, 6)));
      await until(`the events published after ${killed} was killed`, () => seqs.length >= 6, RESUME_MS - (Date.now() - killedAt));
      expect(seqs).toEqual(upTo(6));
      return { follower, killed };
    }

    it('a follower goes on from another server when the server its connection is on dies', async () => {
      const { follower, killed } = await followThroughKill(serverOf);
      expect(await serverOf(follower)).not.toBe(killed);
    }, 30_000);

    it('a follower goes on when the server holding its consumer dies', async () => {
      await followThroughKill(async () => (await consumerServer())!);
    }, 30_000);

    it('a read whose consumer died with its server fails, to be retried, rather than wait for ever', async () => {
      const reader = transport(cluster.url(), 6_000);
      await reader.append(items(1, 5));
      const nc = await connect(parseNatsUrl(cluster.url()));
      // The last event deleted: a page through it waits for it until the fetch's expiry, time enough to kill the consumer's server.
      await (await jetstreamManager(nc)).streams.deleteMessage('EVENTS', 5);
      await nc.close();
      const reading = reader.read(0, 5);
      let holder: string | undefined;
      while (!(holder = await consumerServer())) await new Promise((resolve) => setTimeout(resolve, 20));
      await cluster.kill(cluster.names.indexOf(holder));
      await expect(reading).rejects.toMatchObject({ code: 'unavailable' });
      expect((await soon(() => reader.read(0, 4))).events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    }, 45_000);
  });
}
