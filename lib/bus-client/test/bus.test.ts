import net from 'node:net';
import pino from 'pino';
import { startTestBus, type TestBus } from 'event-bus/testing';
import { z } from 'zod';
import { connectBus as connect, on, BusUnavailableError, EventRefusedError, InvalidDeliveryError, type BusEvent, type EventType } from '../src';

const logger = pino({ level: 'silent' });
const item = z.object({ n: z.number() });
/** A test's own event type. */
const Item: EventType<{ n: number }> = { type: 'Item', schema: item, idOf: (d) => `Item:${d.n}` };

function recorder() {
  const seen: Array<{ seq: number; n: number }> = [];
  return { seen, handlers: [on(Item, (data, event) => seen.push({ seq: event.seq, n: data.n }))] };
}

const envelope = (seq: number, type = 'Item', data: unknown = { n: seq }): BusEvent => ({ id: `e${seq}`, seq, type, data, at: new Date().toISOString() });

describe('bus SDK', () => {
  let bus: TestBus;
  afterEach(() => bus?.close());

  it('publishes with an id the caller chose, idempotently', async () => {
    bus = await startTestBus();
    const client = connect(bus.url, { logger });
    expect(await client.publish({ id: 'Thing:1', type: 'Item', data: { n: 1 } })).toEqual({ id: 'Thing:1', seq: 1, duplicate: false });
    expect(await client.publish({ id: 'Thing:1', type: 'Item', data: { n: 1 } })).toEqual({ id: 'Thing:1', seq: 1, duplicate: true });
    const many = await client.publishAll(Array.from({ length: 1200 }, (_, i) => ({ id: `many:${i}`, type: 'Item', data: { n: i } })));
    expect(many.map((a) => a.seq)).toEqual(Array.from({ length: 1200 }, (_, i) => i + 2));
  });

  it('fails only the refused event of a batch, not the others that shared its request', async () => {
    bus = await startTestBus();
    const client = connect(bus.url, { logger });
    const outcomes = await Promise.allSettled([
      // The first two take the two requests in flight; the next four wait and go together.
      client.publish({ id: 'first', type: 'Item', data: { n: 0 } }),
      client.publish({ id: 'second', type: 'Item', data: { n: 0 } }),
      client.publish({ id: 'ok-1', type: 'Item', data: { n: 1 } }),
      client.publish({ id: 'x'.repeat(500), type: 'Item', data: { n: 2 } }), // an id the bus refuses
      client.publish({ id: 'ok-2', type: 'Item', data: { n: 3 } }),
      client.publish({ id: 'ok-3', type: 'Item', data: { n: 4 } }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((outcomes[3] as PromiseRejectedResult).reason).toBeInstanceOf(EventRefusedError);
    expect(bus.events().map((e) => e.id)).toEqual(['first', 'second', 'ok-1', 'ok-2', 'ok-3']);
  });

  it('settles a reaction the bus refuses: logged, counted and answered null, not sent again', async () => {
    bus = await startTestBus();
    const errors: unknown[] = [];
    const recording = pino({ level: 'error' }, { write: (line: string) => errors.push(JSON.parse(line)) });
    const client = connect(bus.url, { logger: recording });
    const Reaction: EventType<{ n: number }> = { ...Item, idOf: (d) => (d.n === 2 ? 'x'.repeat(500) : `ok-${d.n}`) }; // an id the bus refuses
    const acks = await client.publishReactions(Reaction, [{ data: { n: 1 } }, { data: { n: 2 } }, { data: { n: 3 } }]);
    expect(acks).toEqual([expect.objectContaining({ id: 'ok-1' }), null, expect.objectContaining({ id: 'ok-3' })]);
    expect(client.reactionsRefused).toBe(1);
    expect(errors).toEqual([
      expect.objectContaining({ msg: 'reaction refused by the bus; not retried', cause: expect.stringMatching(/HTTP 400 invalid_request: 0.id: /) }),
    ]);
    expect(bus.events().map((e) => e.id)).toEqual(['ok-1', 'ok-3']);
  });

  it('leaves reactions owed when the bus is unreachable, to be paid later', async () => {
    bus = await startTestBus();
    const url = bus.url;
    await bus.close();
    const client = connect(url, { logger });
    await expect(client.publishReactions(Item, [{ data: { n: 1 } }])).rejects.toBeInstanceOf(BusUnavailableError);
    expect(client.reactionsRefused).toBe(0);
  });

  it('says the bus is unavailable when it cannot be reached', async () => {
    bus = await startTestBus();
    const url = bus.url;
    await bus.close();
    await expect(connect(url, { logger }).publish({ type: 'Item', data: { n: 1 } })).rejects.toMatchObject({
      constructor: BusUnavailableError,
      maybeStored: false, // refused: nothing reached the bus
    });
  });

  it('says a publish may have been stored when the bus died after taking it', async () => {
    // A bus that reads the request and dies before answering.
    const dying = net.createServer((socket) => socket.once('data', () => socket.destroy()));
    await new Promise<void>((resolve) => dying.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(dying.address() as net.AddressInfo).port}`;
    await expect(connect(url, { logger }).publish({ type: 'Item', data: { n: 1 } })).rejects.toMatchObject({ maybeStored: true });
    await new Promise((resolve) => dying.close(resolve));
  });

  it('catches up page by page on start, then is ready', async () => {
    bus = await startTestBus();
    await bus.log.append(Array.from({ length: 25 }, (_, i) => ({ type: 'Item', data: { n: i + 1 } })));
    const { seen, handlers } = recorder();
    const sub = connect(bus.url, { logger, pageSize: 7 }).subscribe({ handlers, logger });
    expect(sub.ready).toBe(false);
    await sub.start();
    expect(sub.ready).toBe(true);
    expect(seen.map((s) => s.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('catches up to the head when pages are cut short by their size', async () => {
    bus = await startTestBus();
    const big = 'x'.repeat(900_000); // 20 of these make pages the bus caps at 8 MB
    await bus.log.append(Array.from({ length: 20 }, (_, i) => ({ type: 'Item', data: { n: i + 1, big } })));
    const seen: number[] = [];
    const sub = connect(bus.url, { logger }).subscribe({ handlers: [on(Item, (d) => seen.push(d.n))], logger });
    await sub.start();
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('acknowledges and ignores a seq it has seen, and sorts a batch', async () => {
    bus = await startTestBus();
    const { seen, handlers } = recorder();
    const sub = connect(bus.url, { logger }).subscribe({ handlers, logger });
    await sub.start();
    expect(await sub.receive([envelope(2), envelope(1)])).toEqual({ ack: 2 });
    expect(await sub.receive(envelope(1))).toEqual({ ack: 2 });
    expect(await sub.receive([envelope(2), envelope(3)])).toEqual({ ack: 3 });
    expect(seen.map((s) => s.seq)).toEqual([1, 2, 3]);
  });

  it('pulls the missing range from the bus when a seq arrives past a gap', async () => {
    bus = await startTestBus();
    await bus.log.append(Array.from({ length: 5 }, (_, i) => ({ id: `e${i + 1}`, type: 'Item', data: { n: (i + 1) * 10 } })));
    const { seen, handlers } = recorder();
    const sub = connect(bus.url, { logger }).subscribe({ handlers, logger });
    expect(await sub.receive(envelope(5, 'Item', { n: 50 }))).toEqual({ ack: 5 });
    expect(seen).toEqual([10, 20, 30, 40, 50].map((n, i) => ({ seq: i + 1, n })));
  });

  it('refuses a seq the log does not have, and a body that is not events, storing nothing', async () => {
    bus = await startTestBus();
    const { seen, handlers } = recorder();
    const sub = connect(bus.url, { logger }).subscribe({ handlers, logger });
    await expect(sub.receive(envelope(99))).rejects.toMatchObject({ status: 409, code: 'seq_ahead_of_log' });
    await expect(sub.receive({ type: 'Item' })).rejects.toBeInstanceOf(InvalidDeliveryError);
    await expect(sub.receive('nonsense')).rejects.toMatchObject({ status: 400 });
    expect(seen).toEqual([]);
    expect(sub.lastSeq).toBe(0);
  });

  it('refuses a delivery with a seq past the head it was sent with, applying none of it', async () => {
    bus = await startTestBus();
    const { seen, handlers } = recorder();
    const sub = connect(bus.url, { logger }).subscribe({ handlers, logger });
    await sub.start();
    // Contiguous from where the subscriber stands, so only the head tells it is more than the log holds.
    await expect(sub.receive([envelope(1), envelope(2), envelope(3)], { head: 2 })).rejects.toMatchObject({ status: 409, code: 'seq_ahead_of_log' });
    await expect(sub.receive(envelope(1), { head: 0 })).rejects.toMatchObject({ status: 409, code: 'seq_ahead_of_log' });
    expect([seen, sub.lastSeq]).toEqual([[], 0]);
    expect(await sub.receive([envelope(1), envelope(2)], { head: 2 })).toEqual({ ack: 2 });
  });

  it('acknowledges unknown types and malformed data without applying them', async () => {
    bus = await startTestBus();
    const { seen, handlers } = recorder();
    const sub = connect(bus.url, { logger }).subscribe({ handlers, logger });
    expect(await sub.receive([envelope(1, 'SomethingNew', {}), envelope(2, 'Item', { n: 'x' }), envelope(3)])).toEqual({ ack: 3 });
    expect(seen).toEqual([{ seq: 3, n: 3 }]);
  });

  it('pays reactions after catching up and after events, and again after a failure', async () => {
    bus = await startTestBus();
    await bus.log.append([{ type: 'Item', data: { n: 1 } }]);
    const owed = new Set<number>();
    let failNext = true;
    const paid: number[] = [];
    const sub = connect(bus.url, { logger }).subscribe({
      logger,
      handlers: [on(Item, (d) => owed.add(d.n))],
      react: async () => {
        if (failNext) {
          failNext = false;
          throw new Error('bus hiccup');
        }
        for (const n of owed) paid.push(n);
        owed.clear();
      },
    });
    await sub.start();
    await sub.receive(envelope(2, 'Item', { n: 2 }));
    const deadline = Date.now() + 5000;
    while (paid.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(paid.sort()).toEqual([1, 2]);
    await sub.stop();
  });

  it('notices a bus that came back with another log, rather than ignore its events as seen', async () => {
    bus = await startTestBus();
    await bus.log.append([{ id: 'first-log', type: 'Item', data: { n: 1 } }]);
    const replaced = jest.fn();
    const { seen, handlers } = recorder();
    const sub = connect(bus.url, { logger }).subscribe({ handlers, logger, onLogReplaced: replaced });
    await sub.start();
    expect(await sub.receive(envelope(1), { logId: 'first-log' })).toEqual({ ack: 1 });
    await expect(sub.receive(envelope(1), { logId: 'second-log' })).rejects.toMatchObject({ status: 409, code: 'log_replaced' });
    expect(replaced).toHaveBeenCalledTimes(1);
    expect(seen).toHaveLength(1);
  });
});
