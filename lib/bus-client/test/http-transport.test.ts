import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { startTestBus, type TestBus } from 'event-bus/testing';
import { HttpTransport, type DeliveryTarget } from '../src';
import { describeTransport } from './transport-contract';

/** A service's server taking the bus's deliveries, as the HTTP transport mounts them. */
async function deliveriesServer(transport: HttpTransport, target: DeliveryTarget): Promise<{ url: string; server: Server }> {
  const app = express();
  const router = express.Router();
  transport.attach(router, target);
  app.use(router);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`, server };
}

describeTransport('HTTP (the event bus)', {
  async start(target) {
    let bus: TestBus = await startTestBus();
    const transport = new HttpTransport(bus.url);
    let receiver: Server | undefined;
    if (target) {
      // The bus delivers to subscribers it is started with: start it again, knowing this one.
      const { url, server } = await deliveriesServer(transport, target);
      receiver = server;
      const port = Number(new URL(bus.url).port);
      await bus.close();
      bus = await startTestBus([url], undefined, port);
    }
    return {
      transport,
      async replaceLog() {
        const port = Number(new URL(bus.url).port);
        await bus.close();
        bus = await startTestBus([], undefined, port);
      },
      async close() {
        await bus.close();
        receiver?.closeAllConnections();
        await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
        await transport.close();
      },
    };
  },
});
