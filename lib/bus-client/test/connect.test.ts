import { z } from 'zod';
import { busConfig, connectBus, HttpTransport } from '../src';
import { JetStreamTransport } from '../src/jetstream-transport';

const config = z.object(busConfig('http://event-bus-srv:4005'));

describe('connectBus', () => {
  it('picks the transport by the URL scheme', async () => {
    const http = connectBus('http://127.0.0.1:4005');
    const nats = connectBus('nats://u:p@nats-0.nats:4222,nats://u:p@nats-1.nats:4222,nats://u:p@nats-2.nats:4222');
    expect(http.transport).toBeInstanceOf(HttpTransport);
    expect(nats.transport).toBeInstanceOf(JetStreamTransport);
    await Promise.all([http.close(), nats.close()]);
  });

  it('takes a NATS cluster as a list of servers, and one address for the event bus', () => {
    expect(config.safeParse({ EVENT_BUS_URL: 'nats://u:p@a:4222,nats://u:p@b:4222' }).success).toBe(true);
    expect(config.safeParse({ EVENT_BUS_URL: 'http://a:4005,http://b:4005' }).success).toBe(false);
    expect(config.safeParse({ EVENT_BUS_URL: 'nats://a:4222,http://b:4005' }).success).toBe(false);
    expect(config.safeParse({ EVENT_BUS_URL: 'ftp://a' }).success).toBe(false);
    expect(() => connectBus('ftp://a')).toThrow(/no bus transport/);
  });
});
