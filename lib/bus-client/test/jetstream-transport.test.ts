import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { JetStreamTransport, parseNatsUrl } from '../src/jetstream-transport';
import { startNatsServer, whyNoNatsServer, type NatsServer } from './nats-server';
import { describeTransport } from './transport-contract';

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

    it('refuses anonymous clients', async () => {
      const anonymous = new JetStreamTransport(server.url.replace(/\/\/[^@]+@/, '//'));
      await expect(anonymous.append([{ id: 'x', type: 'Item', data: {} }])).rejects.toMatchObject({ code: 'unavailable' });
      await anonymous.close();
    });
  });
}
