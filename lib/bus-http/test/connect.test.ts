import { busConfig, connectBus } from '@posts/bus-client';
import { z } from 'zod';
import { HttpTransport } from '../src';

it('is the transport connectBus picks for an http: URL, one event bus at one address', async () => {
  const http = connectBus('http://127.0.0.1:4005');
  expect(http.transport).toBeInstanceOf(HttpTransport);
  await http.close();
  expect(z.object(busConfig('http://event-bus-srv:4005')).safeParse({ EVENT_BUS_URL: 'http://a:4005,http://b:4005' }).success).toBe(false);
});
