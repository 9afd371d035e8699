import pino from 'pino';
import { z } from 'zod';
import { Bus, InvalidDeliveryError, MemoryTransport, on, type BusEvent, type BusOptions, type EventType } from '../src';

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
  let log: MemoryTransport;
  const connect = (options: BusOptions) => new Bus(log, options);
  beforeEach(() => {
    log = new MemoryTransport();
  });
  afterEach(() => log.close());

  it('publishes with an id the caller chose, idempotently', async () => {
    const client = connect({ logger });
    expect(await client.publish({ id: 'Thing:1', type: 'Item', data: { n: 1 } })).toEqual({ id: 'Thing:1', seq: 1, duplicate: false });
    expect(await client.publish({ id: 'Thing:1', type: 'Item', data: { n: 1 } })).toEqual({ id: 'Thing:1', seq: 1, duplicate: true });
    const many = await client.publishAll(Array.from({ length: 1200 }, (_, i) => ({ id: `many:${i}`, type: 'Item', data: { n: i } })));
    expect(many.map((a) => a.seq)).toEqual(Array.from({ length: 1200 }, (_, i) => i + 2));
  });

  it('catches up page by page on start, then is ready', async () => {
    await log.append(Array.from({ length: 25 }, (_, i) => ({ type: 'Item', data: { n: i + 1 } })));
    const { seen, handlers } = recorder();
    const sub = connect({ logger, pageSize: 7 }).subscribe({ handlers, logger });
    expect(sub.ready).toBe(false);
    await sub.start();
    expect(sub.ready).toBe(true);
    expect(seen.map((s) => s.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('acknowledges and ignores a seq it has seen, and sorts a batch', async () => {
    const { seen, handlers } = recorder();
    const sub = connect({ logger }).subscribe({ handlers, logger });
    await sub.start();
    expect(await sub.receive([envelope(2), envelope(1)])).toEqual({ ack: 2 });
    expect(await sub.receive(envelope(1))).toEqual({ ack: 2 });
    expect(await sub.receive([envelope(2), envelope(3)])).toEqual({ ack: 3 });
    expect(seen.map((s) => s.seq)).toEqual([1, 2, 3]);
  });

  it('pulls the missing range from the bus when a seq arrives past a gap', async () => {
    await log.append(Array.from({ length: 5 }, (_, i) => ({ id: `e${i + 1}`, type: 'Item', data: { n: (i + 1) * 10 } })));
    const { seen, handlers } = recorder();
    const sub = connect({ logger }).subscribe({ handlers, logger });
    expect(await sub.receive(envelope(5, 'Item', { n: 50 }))).toEqual({ ack: 5 });
    expect(seen).toEqual([10, 20, 30, 40, 50].map((n, i) => ({ seq: i + 1, n })));
  });

  it('refuses a seq the log does not have, and a body that is not events, storing nothing', async () => {
    const { seen, handlers } = recorder();
    const sub = connect({ logger }).subscribe({ handlers, logger });
    await expect(sub.receive(envelope(99))).rejects.toMatchObject({ status: 409, code: 'seq_ahead_of_log' });
    await expect(sub.receive({ type: 'Item' })).rejects.toBeInstanceOf(InvalidDeliveryError);
    await expect(sub.receive('nonsense')).rejects.toMatchObject({ status: 400 });
    expect(seen).toEqual([]);
    expect(sub.lastSeq).toBe(0);
  });

  it('refuses a delivery with a seq past the head it was sent with, applying none of it', async () => {
    const { seen, handlers } = recorder();
    const sub = connect({ logger }).subscribe({ handlers, logger });
    await sub.start();
    // Contiguous from where the subscriber stands, so only the head tells it is more than the log holds.
    await expect(sub.receive([envelope(1), envelope(2), envelope(3)], { head: 2 })).rejects.toMatchObject({ status: 409, code: 'seq_ahead_of_log' });
    await expect(sub.receive(envelope(1), { head: 0 })).rejects.toMatchObject({ status: 409, code: 'seq_ahead_of_log' });
    expect([seen, sub.lastSeq]).toEqual([[], 0]);
    expect(await sub.receive([envelope(1), envelope(2)], { head: 2 })).toEqual({ ack: 2 });
  });

  it('acknowledges unknown types and malformed data without applying them', async () => {
    const { seen, handlers } = recorder();
    const sub = connect({ logger }).subscribe({ handlers, logger });
    expect(await sub.receive([envelope(1, 'SomethingNew', {}), envelope(2, 'Item', { n: 'x' }), envelope(3)])).toEqual({ ack: 3 });
    expect(seen).toEqual([{ seq: 3, n: 3 }]);
  });

  it('pays reactions after catching up and after events, and again after a failure', async () => {
    await log.append([{ type: 'Item', data: { n: 1 } }]);
    const owed = new Set<number>();
    let failNext = true;
    const paid: number[] = [];
    const sub = connect({ logger }).subscribe({
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
    await log.append([{ id: 'e1', type: 'Item', data: { n: 1 } }]);
    const { logId } = await log.read(0, 1);
    const { seen, handlers } = recorder();
    const sub = connect({ logger }).subscribe({ handlers, logger });
    await sub.start();
    expect(await sub.receive(envelope(1), { logId })).toEqual({ ack: 1 });
    await expect(sub.receive(envelope(1), { logId: 'second-log' })).rejects.toMatchObject({ status: 409, code: 'log_replaced' });
    // It does not end the process itself: it says so to whoever runs it, once, with both logs.
    await expect(sub.failure).resolves.toMatchObject({ code: 'log_replaced', logs: { was: logId, now: 'second-log' } });
    await expect(sub.receive(envelope(2), { logId: 'second-log' })).rejects.toMatchObject({ code: 'log_replaced' });
    expect(seen).toHaveLength(1);
  });
});
