// GET /state as every backend serves it (Subscriber.attach): open to any caller, read only, the rebuild's progress.
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { z } from 'zod';
import { Bus, MemoryTransport, memoryState, on, type EventType, type StateStore } from '../src';

const logger = pino({ level: 'silent' });
const Item: EventType<{ n: number }> = { type: 'Item', schema: z.object({ n: z.number() }), idOf: (d) => `Item:${d.n}` };
const handlers = [on(Item, () => undefined)];

describe('GET /state', () => {
  let log: MemoryTransport;
  beforeEach(async () => {
    log = new MemoryTransport();
    await log.append([1, 2, 3].map((n) => ({ type: 'Item', data: { n } })));
  });
  afterEach(() => log.close());

  function serve(state: StateStore<undefined>) {
    const sub = new Bus(log).subscribe({ handlers, state, logger });
    const router = express.Router();
    sub.attach(router);
    return { sub, app: express().use(router) };
  }

  it('answers anyone where the state stands and what its database takes; nothing about a database for a state in memory', async () => {
    const described = { ...memoryState(), describe: async () => ({ kind: 'embedded', bytes: 4096 }) };
    const { sub, app } = serve(described);
    await sub.start();
    const res = await request(app).get('/state').set('x-forwarded-for', '203.0.113.9').expect(200);
    expect(res.body).toEqual({ checkpoint: 3, logHead: 3, rebuilding: false, database: { kind: 'embedded', bytes: 4096 } });
    // A rebuild is still asked only from the service's own machine.
    expect((await request(app).post('/rebuild').set('x-forwarded-for', '203.0.113.9')).status).toBe(403);

    const inMemory = serve(memoryState());
    await inMemory.sub.start();
    expect((await request(inMemory.app).get('/state')).body).toEqual({ checkpoint: 3, logHead: 3, rebuilding: false });
  });

  it('shows a rebuild while it runs, and its end', async () => {
    let emptied!: () => void;
    const memory = memoryState();
    const slow: StateStore<undefined> = { ...memory, reset: () => new Promise<void>((r) => (emptied = r)).then(() => memory.reset()) };
    const { sub, app } = serve(slow);
    await sub.start();
    const rebuilt = sub.rebuild();
    expect((await request(app).get('/state')).body).toEqual({ checkpoint: 3, logHead: 3, rebuilding: true });
    emptied();
    await rebuilt;
    expect((await request(app).get('/state')).body).toEqual({ checkpoint: 3, logHead: 3, rebuilding: false });
  });
});
