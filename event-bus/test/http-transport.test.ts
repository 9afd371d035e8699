import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { z } from 'zod';
import { Bus, BusUnavailableError, connectBus, EventRefusedError, on, type BusEvent, type DeliveryTarget, type EventType } from '@posts/bus-client';
import { describeTransport, type TransportHarness } from '@posts/bus-client/testing';
import { HttpTransport, LOG_HEAD_HEADER, LOG_ID_HEADER, RequestSigner, SIGNATURE_HEADER, SIGNATURE_WINDOW_MS } from '@posts/bus-http';
import { createServiceApp } from '@posts/kit';
import { startTestBus, type TestBus } from '../src/testing';

const SECRET = randomBytes(32).toString('hex');
const logger = pino({ level: 'silent' });

async function listen(app: express.Express): Promise<{ url: string; server: Server }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A service's server taking the bus's deliveries, as the HTTP transport mounts them. */
async function deliveriesServer(transport: HttpTransport, target: DeliveryTarget): Promise<{ url: string; server: Server }> {
  const app = express();
  const router = express.Router();
  transport.attach(router, target);
  app.use(router);
  const { url, server } = await listen(app);
  return { url: `${url}/events`, server };
}

/** The hand-written bus, with `secret` on both sides, or open. */
function harness(secret?: string): TransportHarness {
  return {
    async start(target) {
      let bus: TestBus = await startTestBus([], undefined, 0, { secret });
      const transport = new HttpTransport(bus.url, { secret });
      let receiver: Server | undefined;
      if (target) {
        // The bus delivers to subscribers it is started with: start it again, knowing this one.
        const { url, server } = await deliveriesServer(transport, target);
        receiver = server;
        const port = Number(new URL(bus.url).port);
        await bus.close();
        bus = await startTestBus([url], undefined, port, { secret });
      }
      return {
        transport,
        async replaceLog() {
          const port = Number(new URL(bus.url).port);
          await bus.close();
          bus = await startTestBus([], undefined, port, { secret });
        },
        async close() {
          await bus.close();
          receiver?.closeAllConnections();
          await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
          await transport.close();
        },
      };
    },
  };
}

describeTransport('HTTP (the event bus)', harness());
describeTransport('HTTP (the event bus) with a secret', harness(SECRET));

const Item: EventType<{ n: number }> = { type: 'Item', schema: z.object({ n: z.number() }), idOf: (d) => `Item:${d.n}` };
const envelope = (seq: number): BusEvent => ({ id: `Item:${seq}`, seq, type: 'Item', data: { n: seq }, at: new Date().toISOString() });

describe('the HTTP transport with a secret', () => {
  let bus: TestBus;
  let service: Server | undefined;
  afterEach(async () => {
    service?.closeAllConnections();
    await new Promise((resolve) => (service ? service.close(resolve) : resolve(undefined)));
    service = undefined;
    await bus?.close();
  });

  /** A service as the kit builds one, caught up with a signed bus holding `events` events. */
  async function serviceOn(events: number) {
    bus = await startTestBus([], undefined, 0, { secret: SECRET });
    if (events > 0) await bus.log.append(Array.from({ length: events }, (_, i) => ({ id: `Item:${i + 1}`, type: 'Item', data: { n: i + 1 } })));
    const warnings: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line)) });
    const transport = new HttpTransport(bus.url, { secret: SECRET, logger });
    const seen: number[] = [];
    const subscriber = new Bus(transport, { logger }).subscribe({ handlers: [on(Item, (d) => seen.push(d.n))], logger });
    let replaced = false;
    void subscriber.failure.then(() => (replaced = true));
    await subscriber.start();
    const listening = await listen(createServiceApp({ logger, isReady: () => subscriber.ready, internal: [subscriber] }));
    service = listening.server;
    const deliver = async (body: string, headers: Record<string, string>) => {
      const res = await fetch(`${listening.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    return { transport, subscriber, seen, replaced: () => replaced, warnings, deliver, logId: bus.log.firstId ?? '' };
  }

  /** The headers the bus sends with a delivery, signed as it signs them. */
  function busHeaders(body: string, logId: string, head: number, { secret = SECRET, path = '/events', at = Date.now() } = {}) {
    const signature = new RequestSigner(secret).sign({ method: 'POST', path, logId, head: String(head), body: Buffer.from(body) }, at);
    return { [LOG_ID_HEADER]: logId, [LOG_HEAD_HEADER]: String(head), [SIGNATURE_HEADER]: signature };
  }

  it('takes a signed delivery, and refuses every unsigned or altered one with 401, applying nothing of it', async () => {
    const { transport, subscriber, seen, replaced, warnings, deliver, logId } = await serviceOn(3);
    const next = JSON.stringify([envelope(4)]);
    const forgeries: Array<[string, string, Record<string, string>]> = [
      ['no signature', next, { [LOG_ID_HEADER]: logId, [LOG_HEAD_HEADER]: '4' }],
      ['another secret', next, busHeaders(next, logId, 4, { secret: 'f'.repeat(64) })],
      ['a stale signature', next, busHeaders(next, logId, 4, { at: Date.now() - SIGNATURE_WINDOW_MS - 1000 })],
      ['another body', JSON.stringify([envelope(4), envelope(5)]), busHeaders(next, logId, 4)],
      ['another path', next, busHeaders(next, logId, 4, { path: '/other' })],
      ['another log id', next, { ...busHeaders(next, logId, 4), [LOG_ID_HEADER]: 'forged-log' }],
      ['another head', next, { ...busHeaders(next, logId, 4), [LOG_HEAD_HEADER]: '1004' }],
      ['malformed JSON', '[{', busHeaders(next, logId, 4)],
    ];
    for (const [what, body, headers] of forgeries) {
      expect([what, await deliver(body, headers)]).toEqual([what, { status: 401, body: { error: { code: 'unauthorized', message: expect.any(String) } } }]);
    }
    expect([seen, subscriber.lastSeq, replaced()]).toEqual([[1, 2, 3], 3, false]);
    expect(transport.unauthorizedRequests).toBe(forgeries.length);
    // One line each, with where it came from.
    expect(warnings).toEqual(
      forgeries.map(() => expect.objectContaining({ msg: 'refused a request not signed with the bus secret', from: expect.stringMatching(/127\.0\.0\.1/) })),
    );

    expect(await deliver(next, busHeaders(next, logId, 4))).toEqual({ status: 200, body: { ack: 4 } });
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('answers 409 to a signed delivery past the head it carries, applying none of it', async () => {
    const { subscriber, seen, deliver, logId } = await serviceOn(3);
    const ahead = JSON.stringify([envelope(4), envelope(5)]);
    expect(await deliver(ahead, busHeaders(ahead, logId, 4))).toEqual({
      status: 409,
      body: { error: { code: 'seq_ahead_of_log', message: expect.any(String) } },
    });
    const notASeq = JSON.stringify(envelope(4));
    const headers = busHeaders(notASeq, logId, 4);
    const garbled = new RequestSigner(SECRET).sign({ method: 'POST', path: '/events', logId, head: 'four', body: Buffer.from(notASeq) });
    expect(await deliver(notASeq, { ...headers, [LOG_HEAD_HEADER]: 'four', [SIGNATURE_HEADER]: garbled })).toMatchObject({ status: 400 });
    expect([seen, subscriber.lastSeq]).toEqual([[1, 2, 3], 3]);
  });

  it('publishes and reads only with the bus’s secret: without it, nothing is stored', async () => {
    bus = await startTestBus([], undefined, 0, { secret: SECRET });
    for (const secret of [undefined, 'e'.repeat(64)]) {
      const transport = new HttpTransport(bus.url, { secret });
      const refused = transport.append([{ id: 'Item:1', type: 'Item', data: { n: 1 } }]);
      await expect(refused).rejects.toBeInstanceOf(BusUnavailableError); // owed, not refused for good: it is no fault of the event
      await expect(refused).rejects.toMatchObject({ maybeStored: false, detail: expect.stringMatching(/HTTP 401 unauthorized/) });
      await expect(transport.read(0, 10)).rejects.toMatchObject({ detail: expect.stringMatching(/HTTP 401 unauthorized/) });
    }
    expect([bus.log.head, bus.guard.unauthorizedRequests]).toEqual([0, 4]);
    const signed = new HttpTransport(bus.url, { secret: SECRET });
    expect(await signed.append([{ id: 'Item:1', type: 'Item', data: { n: 1 } }])).toEqual([{ id: 'Item:1', seq: 1, duplicate: false }]);
    expect((await signed.read(0, 10)).events.map((e) => e.id)).toEqual(['Item:1']);
  });
});

describe('the HTTP transport without a secret (open mode)', () => {
  it('takes an unsigned delivery, as a service written the course’s way would', async () => {
    const bus = await startTestBus();
    const transport = new HttpTransport(bus.url);
    const seen: number[] = [];
    const subscriber = new Bus(transport).subscribe({ handlers: [on(Item, (d) => seen.push(d.n))] });
    const { url, server } = await deliveriesServer(transport, subscriber);
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(envelope(1)) });
      expect([res.status, await res.json(), seen]).toEqual([200, { ack: 1 }, [1]]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await bus.close();
    }
  });
});

// The SDK's Bus over this bus, where what it does depends on the bus's answers: refusals, outages, pages cut by size.
describe('the bus SDK over HTTP', () => {
  let bus: TestBus;
  afterEach(() => bus?.close());

  it('fails only the refused event of a batch, not the others that shared its request', async () => {
    bus = await startTestBus();
    const client = connectBus(bus.url, { logger });
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
    const client = connectBus(bus.url, { logger: recording });
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
    const client = connectBus(url, { logger });
    await expect(client.publishReactions(Item, [{ data: { n: 1 } }])).rejects.toBeInstanceOf(BusUnavailableError);
    expect(client.reactionsRefused).toBe(0);
  });

  it('says the bus is unavailable when it cannot be reached', async () => {
    bus = await startTestBus();
    const url = bus.url;
    await bus.close();
    await expect(connectBus(url, { logger }).publish({ type: 'Item', data: { n: 1 } })).rejects.toMatchObject({
      constructor: BusUnavailableError,
      maybeStored: false, // refused: nothing reached the bus
    });
  });

  it('says a publish may have been stored when the bus died after taking it', async () => {
    // A bus that reads the request and dies before answering.
    const dying = net.createServer((socket) => socket.once('data', () => socket.destroy()));
    await new Promise<void>((resolve) => dying.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(dying.address() as AddressInfo).port}`;
    await expect(connectBus(url, { logger }).publish({ type: 'Item', data: { n: 1 } })).rejects.toMatchObject({ maybeStored: true });
    await new Promise((resolve) => dying.close(resolve));
  });

  it('catches up to the head when pages are cut short by their size', async () => {
    bus = await startTestBus();
    const big = 'x'.repeat(900_000); // 20 of these make pages the bus caps at 8 MB
    await bus.log.append(Array.from({ length: 20 }, (_, i) => ({ type: 'Item', data: { n: i + 1, big } })));
    const seen: number[] = [];
    const sub = connectBus(bus.url, { logger }).subscribe({ handlers: [on(Item, (d) => seen.push(d.n))], logger });
    await sub.start();
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
