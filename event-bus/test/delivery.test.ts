import type { AddressInfo } from 'node:net';
import express from 'express';
import { until } from '@posts/kit/testing';
import { startTestBus, type TestBus } from '../src/testing';

/**
 * A real HTTP subscriber on loopback that records what it gets and can be told to fail. Like
 * the SDK, it answers `{ack: lastSeq}` unless `acks` says not to.
 */
async function subscriber(answer: (batch: Array<{ seq: number }>) => number = () => 200, acks: () => boolean = () => true) {
  const received: number[] = [];
  const requests: number[][] = [];
  const app = express();
  app.post('/events', express.json({ limit: '16mb' }), (req, res) => {
    const batch = Array.isArray(req.body) ? req.body : [req.body];
    const status = answer(batch);
    if (status === 200) {
      requests.push(batch.map((e) => e.seq));
      received.push(...batch.map((e) => e.seq));
    }
    res.status(status).json(acks() ? { ack: received.at(-1) ?? 0 } : {});
  });
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    received,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

async function publish(bus: TestBus, n: number) {
  for (let i = 0; i < n; i++) await bus.log.append([{ type: 'T', data: { i } }]);
}

describe('delivery to subscribers', () => {
  let bus: TestBus;
  afterEach(() => bus?.close());

  it('delivers every event to every subscriber, in seq order', async () => {
    const a = await subscriber();
    const b = await subscriber();
    bus = await startTestBus([a.url, b.url]);
    await publish(bus, 20);
    await until('a.received.length === 20 && b.received.length === 20', () => a.received.length === 20 && b.received.length === 20);
    expect(a.received).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(b.received).toEqual(a.received);
    await Promise.all([a.close(), b.close()]);
  });

  it('delivers a new event to a subscriber that is back without waiting out a long backoff', async () => {
    // Down as a starting service is: its first delivery fails, and the backoff after it is a minute long.
    let down = true;
    let failed = 0;
    const a = await subscriber(() => (down ? (failed++, 503) : 200));
    bus = await startTestBus([a.url], undefined, 0, { backoffBaseMs: 60_000, backoffCapMs: 60_000 });
    await publish(bus, 1);
    await until('failed === 1', () => failed === 1);
    down = false;
    await publish(bus, 1);
    await until('a.received.length === 2', () => a.received.length === 2, 10_000);
    expect(a.received).toEqual([1, 2]);
    await a.close();
  });

  it('cuts the backoff short for an event that arrived while the failing delivery was still in flight', async () => {
    // The first delivery hangs until the second event is in the log, then fails; the backoff after it is a minute long.
    let release!: () => void;
    const second = new Promise<void>((resolve) => (release = resolve));
    const received: number[] = [];
    let requests = 0;
    const app = express();
    app.post('/events', express.json(), async (req, res) => {
      if (requests++ === 0) {
        await second;
        return void res.status(503).json({});
      }
      received.push(req.body.seq);
      res.json({ ack: req.body.seq });
    });
    const server = await new Promise<import('node:http').Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      bus = await startTestBus([`http://127.0.0.1:${(server.address() as AddressInfo).port}/events`], undefined, 0, {
        backoffBaseMs: 60_000,
        backoffCapMs: 60_000,
      });
      await publish(bus, 1);
      await until('requests === 1', () => requests === 1);
      await publish(bus, 1);
      release();
      await until('received.length === 2', () => received.length === 2, 10_000);
      expect(received).toEqual([1, 2]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('sends a subscriber that is behind pages of events, not one request each', async () => {
    const a = await subscriber();
    bus = await startTestBus([]);
    await bus.log.append(Array.from({ length: 1200 }, (_, i) => ({ type: 'T', data: { i } })));
    await bus.close();
    bus = await startTestBus([a.url], bus.log);
    await until('a.received.length === 1200', () => a.received.length === 1200);
    // The first event goes alone: a fresh bus does not know yet that the subscriber takes batches.
    expect(a.requests.length).toBeLessThanOrEqual(4);
    expect(a.received).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
    await a.close();
  });

  it('keeps a batch of large events under the bytes a subscriber takes, so none is refused forever', async () => {
    // This subscriber refuses bodies over 300 KB, as a real one refuses over 16 MB.
    const picky = await subscriber((batch) => (JSON.stringify(batch).length > 300_000 ? 413 : 200));
    bus = await startTestBus([]);
    const big = 'x'.repeat(100_000);
    await bus.log.append(Array.from({ length: 12 }, (_, i) => ({ type: 'T', data: { i, big } })));
    await bus.close();
    bus = await startTestBus([picky.url], bus.log, 0, { batchBytes: 250_000 });
    try {
      await until('picky.received.length === 12', () => picky.received.length === 12);
      expect(picky.received).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect(Math.max(...picky.requests.map((r) => r.length))).toBeLessThanOrEqual(2);
    } finally {
      await picky.close();
    }
  });

  it('sends the first event alone, then arrays once the subscriber has answered with an ack', async () => {
    const a = await subscriber();
    bus = await startTestBus([]);
    await bus.log.append(Array.from({ length: 100 }, (_, i) => ({ type: 'T', data: { i } })));
    await bus.close();
    bus = await startTestBus([a.url], bus.log);
    try {
      await until('a.received.length === 100', () => a.received.length === 100);
      expect(a.requests).toEqual([[1], Array.from({ length: 99 }, (_, i) => i + 2)]);
    } finally {
      await a.close();
    }
  });

  it('sends again, one per request, the events of an array answered without an ack', async () => {
    // An SDK subscriber replaced, at the same address, by one that reads one event per request.
    let acks = true;
    const a = await subscriber(undefined, () => acks);
    bus = await startTestBus([a.url]);
    try {
      await publish(bus, 1);
      await until('a.received.length === 1', () => a.received.length === 1);
      acks = false;
      await bus.log.append(Array.from({ length: 10 }, (_, i) => ({ type: 'T', data: { i } })));
      const alone = () => a.requests.filter((r) => r.length === 1).flat();
      await until('alone().length === 11', () => alone().length === 11, 2000);
      expect(a.requests[1]).toEqual(Array.from({ length: 10 }, (_, i) => i + 2));
      expect(alone()).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
      const status = (await (await fetch(`${bus.url}/subscriptions`)).json()) as Array<Record<string, unknown>>;
      expect(status[0].batches).toBe(false);
    } finally {
      await a.close();
    }
  });

  it('shows in /subscriptions whether a subscriber gets arrays', async () => {
    const sdk = await subscriber();
    const course = await subscriber(undefined, () => false);
    bus = await startTestBus([sdk.url, course.url]);
    const batches = async () => ((await (await fetch(`${bus.url}/subscriptions`)).json()) as Array<{ batches: boolean }>).map((s) => s.batches);
    try {
      expect(await batches()).toEqual([false, false]);
      await publish(bus, 3);
      // The first event goes alone, so the SDK subscriber's ack is in before it has all three.
      await until('sdk.received.length === 3 && course.received.length === 3', () => sdk.received.length === 3 && course.received.length === 3);
      expect(await batches()).toEqual([true, false]);
    } finally {
      await Promise.all([sdk.close(), course.close()]);
    }
  });

  it('retries a failing subscriber until it recovers, without delaying the others', async () => {
    let failing = true;
    const sick = await subscriber(() => (failing ? 500 : 200));
    const healthy = await subscriber();
    bus = await startTestBus([sick.url, healthy.url]);
    await publish(bus, 10);
    await until('healthy.received.length === 10', () => healthy.received.length === 10);

    const status = (await (await fetch(`${bus.url}/subscriptions`)).json()) as Array<Record<string, unknown>>;
    expect(status[0]).toMatchObject({ url: sick.url, cursor: 0, backlog: 10, lastError: 'HTTP 500' });
    expect(status[1]).toMatchObject({ url: healthy.url, cursor: 10, backlog: 0, lastError: null });

    failing = false;
    await until('sick.received.length === 10', () => sick.received.length === 10);
    expect(sick.received).toEqual(healthy.received);
    await Promise.all([sick.close(), healthy.close()]);
  });

  it('keeps retrying a subscriber that is down, then delivers when it comes up', async () => {
    const gone = await subscriber();
    const url = gone.url;
    await gone.close();
    bus = await startTestBus([url]);
    await publish(bus, 3);
    await until('bus.log.head === 3', () => bus.log.head === 3);
    await new Promise((r) => setTimeout(r, 100));
    const status = (await (await fetch(`${bus.url}/subscriptions`)).json()) as Array<Record<string, unknown>>;
    expect(status[0].lastError).toMatch(/ECONNREFUSED/);
    expect(status[0].backlog).toBe(3);
  });
});
