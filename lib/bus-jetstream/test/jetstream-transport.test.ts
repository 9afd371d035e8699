import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { JetStreamTransport, pageOf, parseNatsUrl } from '../src/jetstream-transport';
import { startNatsServer, whyNoNatsServer, type NatsServer } from './nats-server';
import { describeTransport } from '@posts/bus-client/testing';

const cannotRun = whyNoNatsServer();
if (cannotRun) console.warn(`JetStream transport tests skipped: ${cannotRun}`);

/** Deletes the stream and makes it again: a new log under the same name, as after losing the stream's storage. */
async function recreateStream(url: string, stream: string): Promise<void> {
  const nc = await connect(parseNatsUrl(url));
  const jsm = await jetstreamManager(nc);
  const { config } = await jsm.streams.info(stream);
  await jsm.streams.delete(stream);
  await jsm.streams.add(config);
  await nc.close();
}

if (cannotRun) {
  it.skip(`JetStream transport: ${cannotRun}`, () => undefined);
} else {
  let server: NatsServer;
  beforeAll(async () => (server = await startNatsServer()));
  afterAll(() => server?.stop());

  describeTransport('JetStream (nats-server)', {
    async start() {
      const transport = new JetStreamTransport(server.url);
      return {
        transport,
        replaceLog: () => recreateStream(server.url, 'EVENTS'),
        async close() {
          await transport.close();
          // Each case starts from an empty log.
          const nc = await connect(parseNatsUrl(server.url));
          await (await jetstreamManager(nc)).streams.delete('EVENTS').catch(() => undefined);
          await nc.close();
        },
      };
    },
  });

  describe('JetStream transport', () => {
    it('reads the servers and the credentials from the URL', () => {
      expect(parseNatsUrl('nats://u:p%40ss@a:4222,nats://b')).toEqual({ servers: ['a:4222', 'b:4222'], user: 'u', pass: 'p@ss' });
    });

    it('carries an event’s traceparent and source as message headers, not in its JSON', async () => {
      const transport = new JetStreamTransport(server.url);
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      await transport.append([{ id: 'traced', type: 'Item', data: {}, traceparent, source: 'tests' }]);
      const nc = await connect(parseNatsUrl(server.url));
      const jsm = await jetstreamManager(nc);
      try {
        const stored = await jsm.streams.getMessage('EVENTS', { seq: 1 });
        expect([stored!.header.get('traceparent'), stored!.header.get('source')]).toEqual([traceparent, 'tests']);
        expect(Object.keys(stored!.json())).toEqual(['id', 'type', 'data', 'at']);
        expect((await transport.read(0, 1)).events).toEqual([expect.objectContaining({ id: 'traced', traceparent, source: 'tests' })]);
      } finally {
        await transport.close();
        await jsm.streams.delete('EVENTS');
        await nc.close();
      }
    });

    it('refuses anonymous clients', async () => {
      const anonymous = new JetStreamTransport(server.url.replace(/\/\/[^@]+@/, '//'));
      await expect(anonymous.append([{ id: 'x', type: 'Item', data: {} }])).rejects.toMatchObject({ code: 'unavailable' });
      await anonymous.close();
    });
  });
}

describe('a page of the stream', () => {
  const encoder = new TextEncoder();
  async function* fetched(...seqs: number[]) {
    for (const seq of seqs) yield { seq, data: encoder.encode(JSON.stringify({ id: `e${seq}`, type: 'T', data: {}, at: '2026-01-01T00:00:00.000Z' })) };
  }

  it('covers only what a fetch brought when the server ended it early', async () => {
    // Asked for 11..20, the fetch expired after 13: 14..20 must be read again, not taken as read.
    const page = await pageOf(fetched(11, 12, 13), 10, 20);
    expect([page.events.map((e) => e.seq), page.through]).toEqual([[11, 12, 13], 13]);
  });

  it('steps over deleted messages, up to the end once a message past it came', async () => {
    expect(await pageOf(fetched(11, 14, 20), 10, 20)).toMatchObject({ through: 20 });
    const pastEnd = await pageOf(fetched(11, 12, 25), 10, 20);
    expect([pastEnd.events.map((e) => e.seq), pastEnd.through]).toEqual([[11, 12], 20]);
    expect(await pageOf(fetched(), 10, 20)).toEqual({ events: [], through: 10 });
  });
});
