import { MemoryTransport } from '../src';
import { describeTransport } from '../src/testing';

describeTransport('in memory', {
  async start() {
    const transport = new MemoryTransport();
    return { transport, replaceLog: async () => transport.replace(), close: () => transport.close() };
  },
});
