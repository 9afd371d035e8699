import pino from 'pino';
import { z } from 'zod';
import { Bus, MemoryTransport, on, type Checkpoint, type EventType, type StateStore } from '../src';

const logger = pino({ level: 'silent' });
const Item: EventType<{ n: number }> = { type: 'Item', schema: z.object({ n: z.number() }), idOf: (d) => `Item:${d.n}` };

/** A state kept as a list, with its checkpoint, where a transaction's effects and checkpoint land together or not at all. */
function listState(start: Checkpoint = { seq: 0 }) {
  let committed = { items: [] as number[], at: start };
  let failNext = false;
  const state: StateStore<number[]> = {
    checkpoint: async () => committed.at,
    async transaction(to, work) {
      const items = [...committed.items];
      await work(items);
      if (failNext) {
        failNext = false;
        throw new Error('the database went away before the commit');
      }
      committed = { items, at: to };
    },
    async reset() {
      committed = { items: [], at: { seq: 0 } };
    },
  };
  return { state, committed: () => committed, failNextCommit: () => (failNext = true) };
}

const handlers = [on(Item, (data, _event, items: number[]) => void items.push(data.n))];

describe("a subscriber and its state's checkpoint", () => {
  let log: MemoryTransport;
  beforeEach(() => (log = new MemoryTransport()));
  afterEach(() => log.close());
  const items = (ns: number[]) => log.append(ns.map((n) => ({ type: 'Item', data: { n } })));
  const logIdOf = async () => (await log.read(0, 1)).logId;

  it('resumes at the checkpoint: only what came after it is applied', async () => {
    await items([1, 2, 3, 4]);
    const kept = listState({ seq: 2, logId: await logIdOf() });
    const sub = new Bus(log).subscribe({ handlers, state: kept.state, logger });
    await sub.start();
    expect([sub.lastSeq, kept.committed().items]).toEqual([4, [3, 4]]);
    expect(kept.committed().at).toEqual({ seq: 4, logId: await logIdOf() });
  });

  it('rebuilds a state built from another log (another first event), never mixing the two', async () => {
    await items([1, 2, 3]);
    const kept = listState({ seq: 2, logId: 'another log' });
    const sub = new Bus(log).subscribe({ handlers, state: kept.state, logger });
    await sub.start();
    expect(kept.committed().items).toEqual([1, 2, 3]);
  });

  it('rebuilds a state whose checkpoint is past the end of the log: a new log, even one still empty and without an id', async () => {
    // As the event bus answers for an empty log: no id until its first event.
    const read = log.read.bind(log);
    log.read = async (after, limit) => {
      const page = await read(after, limit);
      return page.head === 0 ? { ...page, logId: undefined } : page;
    };
    const kept = listState({ seq: 9, logId: 'a log now gone' });
    const sub = new Bus(log).subscribe({ handlers, state: kept.state, logger });
    await sub.start();
    expect([sub.lastSeq, kept.committed().at.seq]).toEqual([0, 0]);
    await items([1]);
    await sub.catchUp();
    expect(kept.committed().items).toEqual([1]);
  });

  it('moves lastSeq only with a commit: a delivery whose transaction fails is refused, and applied once when sent again', async () => {
    await items([1, 2]);
    const kept = listState();
    const sub = new Bus(log).subscribe({ handlers, state: kept.state, logger });
    await sub.catchUp(); // not start(): nothing else delivers to it meanwhile
    await items([3]);
    const delivery = (await log.read(2, 10)).events;
    kept.failNextCommit();
    await expect(sub.receive(delivery)).rejects.toThrow('the database went away');
    expect([sub.lastSeq, kept.committed().items]).toEqual([2, [1, 2]]);
    expect(await sub.receive(delivery)).toEqual({ ack: 3 });
    expect(kept.committed().items).toEqual([1, 2, 3]);
  });

  it('takes no delivery before it has read its checkpoint, so nothing is applied twice', async () => {
    await items([1, 2, 3]);
    const kept = listState({ seq: 3, logId: await logIdOf() });
    const sub = new Bus(log).subscribe({ handlers, state: kept.state, logger });
    // Pushed before start(): the checkpoint is read first, and the delivery is seen.
    expect(await sub.receive((await log.read(0, 3)).events)).toEqual({ ack: 3 });
    expect(kept.committed().items).toEqual([]);
  });
});
