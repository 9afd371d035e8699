import { connectBus } from '@posts/bus-client';
import { JetStreamTransport } from '../src';

it('is the transport connectBus picks for a nats: URL, a cluster listing its servers', async () => {
  const nats = connectBus('nats://u:p@nats-0.nats:4222,nats://u:p@nats-1.nats:4222,nats://u:p@nats-2.nats:4222');
  expect(nats.transport).toBeInstanceOf(JetStreamTransport);
  await nats.close();
});
