// The cases every BusTransport must pass, whatever carries the events: a transport's own test
// file calls describeTransport (in jest) with a harness that starts its kind of log.
import { until } from '@posts/kit/testing';
import pino from 'pino';
import { z } from 'zod';
import { Bus } from './bus';
import type { EventType } from './event-type';
import type { BusEvent } from './events';
import { on } from './subscriber';
import type { BusTransport, DeliveryTarget } from './transport';

export interface TransportUnderTest {
  transport: BusTransport;
  /** Starts a new, empty log where the old one was: what a bus without a log file does on restart. */
  replaceLog(): Promise<void>;
  close(): Promise<void>;
}

export interface TransportHarness {
  /** A fresh, empty log and a transport to it; with `target`, the log delivers to it as it does to a service. */
  start(target?: DeliveryTarget): Promise<TransportUnderTest>;
}

const logger = pino({ level: 'silent' });
const Item: EventType<{ n: number }> = { type: 'Item', schema: z.object({ n: z.number() }), idOf: (d) => `Item:${d.n}` };
const items = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ id: `Item:${from + i}`, type: 'Item', data: { n: from + i } }));

/** A subscriber recording the `n` of each Item it applies, and a target that forwards deliveries to it once made. */
function recordingSubscriber() {
  const seen: number[] = [];
  let forward: DeliveryTarget | undefined;
  const target: DeliveryTarget = { receive: (delivery, from) => (forward ? forward.receive(delivery, from) : Promise.reject(new Error('not yet'))) };
  const subscribeTo = (transport: BusTransport) => {
    const subscriber = new Bus(transport, { logger, pageSize: 7 }).subscribe({ handlers: [on(Item, (d) => void seen.push(d.n))], logger });
    forward = subscriber;
    return subscriber;
  };
  return { seen, target, subscribeTo };
}

export function describeTransport(name: string, harness: TransportHarness): void {
  describe(`BusTransport contract: ${name}`, () => {
    let log: TransportUnderTest | undefined;
    afterEach(async () => {
      await log?.close();
      log = undefined;
    });

    it('appends in order and answers one ack per event; an id it holds is a duplicate at its first seq', async () => {
      log = await harness.start();
      expect(await log.transport.append(items(1, 3))).toEqual([1, 2, 3].map((seq) => ({ id: `Item:${seq}`, seq, duplicate: false })));
      expect(await log.transport.append([...items(2, 2), ...items(4, 4)])).toEqual([
        { id: 'Item:2', seq: 2, duplicate: true },
        { id: 'Item:4', seq: 4, duplicate: false },
      ]);
    });

    it('publishes through the Bus with the id the event type derives', async () => {
      log = await harness.start();
      const bus = new Bus(log.transport, { logger });
      expect(await bus.publish(Item, { n: 7 }, { requestId: 'req-7' })).toEqual({ id: 'Item:7', seq: 1, duplicate: false });
      expect(await bus.publish(Item, { n: 7 })).toEqual({ id: 'Item:7', seq: 1, duplicate: true });
      const { events } = await log.transport.read(0, 10);
      expect(events).toEqual([expect.objectContaining({ id: 'Item:7', seq: 1, type: 'Item', data: { n: 7 }, requestId: 'req-7' })]);
    });

    it('keeps an event’s traceparent and source, in pages and deliveries alike', async () => {
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      const applied: BusEvent[] = [];
      const deliveries: { to?: DeliveryTarget } = {};
      log = await harness.start({ receive: (delivery, from) => deliveries.to?.receive(delivery, from) ?? Promise.reject(new Error('not yet')) });
      const subscriber = new Bus(log.transport, { logger }).subscribe({ handlers: [on(Item, (_data, event) => void applied.push(event))], logger });
      deliveries.to = subscriber;
      await subscriber.start();
      const bus = new Bus(log.transport, { logger, service: 'tests' });
      await bus.publish(Item, { n: 1 }, { traceparent });
      await bus.publish(Item, { n: 2 });
      await until('two applied', () => applied.length >= 2, 10_000);
      const [traced, untraced] = (await log.transport.read(0, 10)).events;
      expect(traced).toMatchObject({ id: 'Item:1', traceparent, source: 'tests' });
      expect(untraced).toMatchObject({ id: 'Item:2', source: 'tests' });
      expect(untraced.traceparent).toBeUndefined();
      expect(applied.map(({ id, traceparent, source }) => ({ id, traceparent, source }))).toEqual([
        { id: 'Item:1', traceparent, source: 'tests' },
        { id: 'Item:2', traceparent: undefined, source: 'tests' },
      ]);
      await subscriber.stop();
    });

    it('reads pages after a seq, with the log’s identity and head', async () => {
      log = await harness.start();
      await log.transport.append(items(1, 25));
      const first = await log.transport.read(0, 10);
      expect(first.events.map((e: BusEvent) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(first.head).toBe(25);
      expect(first.logId).toEqual(expect.any(String));
      const last = await log.transport.read(20, 10);
      expect(last.events.map((e: BusEvent) => e.seq)).toEqual([21, 22, 23, 24, 25]);
      expect(last.logId).toBe(first.logId);
      expect((await log.transport.read(25, 10)).events).toEqual([]);
    });

    it('delivers every event to a subscriber, applied once each in seq order', async () => {
      const { seen, target, subscribeTo } = recordingSubscriber();
      log = await harness.start(target);
      const subscriber = subscribeTo(log.transport);
      await subscriber.start();
      const bus = new Bus(log.transport, { logger });
      await Promise.all(Array.from({ length: 60 }, (_, i) => bus.publish(Item, { n: i + 1 })));
      await until('60 seen', () => seen.length >= 60, 10_000);
      expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      await subscriber.stop();
    });

    it('lists its subscribers as the log sees them: one has taken everything', async () => {
      const { seen, target, subscribeTo } = recordingSubscriber();
      log = await harness.start(target);
      await subscribeTo(log.transport).start();
      await log.transport.append(items(1, 3));
      await until('3 seen', () => seen.length === 3, 10_000);
      const transport = log.transport;
      const settled = async () => {
        for (let tries = 0; ; tries++) {
          const states = await transport.subscriptions!();
          if (states.some((s) => s.cursor === 3 && s.backlog === 0) || tries === 200) return states;
          await new Promise((r) => setTimeout(r, 25));
        }
      };
      const states = await settled();
      expect(states).toContainEqual(expect.objectContaining({ cursor: 3, backlog: 0, retries: 0 }));
      for (const state of states) expect(state.name).toEqual(expect.any(String));
      // Where the log keeps one subscription per process, the process finds its own.
      if (transport.ownSubscription) expect(await transport.ownSubscription()).toEqual(expect.objectContaining({ cursor: 3, backlog: 0 }));
    });

    it('fills a gap by reading the range it missed', async () => {
      const { seen, subscribeTo } = recordingSubscriber();
      log = await harness.start();
      await log.transport.append(items(1, 20));
      const subscriber = subscribeTo(log.transport);
      const { events } = await log.transport.read(19, 1);
      expect(await subscriber.receive(events)).toEqual({ ack: 20 });
      expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it('notices a log replaced by another, rather than skip its events as seen', async () => {
      const { subscribeTo } = recordingSubscriber();
      log = await harness.start();
      await log.transport.append(items(1, 3));
      const subscriber = subscribeTo(log.transport);
      await subscriber.start();
      await log.replaceLog();
      await log.transport.append(items(100, 104));
      await expect(subscriber.catchUp()).rejects.toMatchObject({ code: 'log_replaced' });
      // Whoever runs the subscriber learns it cannot go on.
      await expect(subscriber.failure).resolves.toMatchObject({ code: 'log_replaced' });
      await subscriber.stop();
    });
  });
}
