import { z } from 'zod';
import { busConfig, connectBus, MemoryTransport, registerTransport } from '../src';

// Two kinds of transport as their packages would register them: one server per URL, and a cluster of several.
registerTransport({ schemes: ['one:'], servers: 'one', create: () => new MemoryTransport('one') });
registerTransport({ schemes: ['many:'], servers: 'many', create: () => new MemoryTransport('many') });

const config = z.object(busConfig('one://bus:4005'));

describe('connectBus', () => {
  it('picks the transport its URL scheme names, among those registered', async () => {
    const one = connectBus('one://127.0.0.1:4005');
    const many = connectBus('many://a:4222,many://b:4222');
    expect([one.url, many.url]).toEqual(['memory:one', 'memory:many']);
    await Promise.all([one.close(), many.close()]);
  });

  it('takes a list of servers only where the transport speaks to a cluster, and no scheme nobody registered', () => {
    expect(config.parse({}).EVENT_BUS_URL).toBe('one://bus:4005');
    expect(config.safeParse({ EVENT_BUS_URL: 'many://u:p@a:4222,many://u:p@b:4222' }).success).toBe(true);
    expect(config.safeParse({ EVENT_BUS_URL: 'one://a:4005,one://b:4005' }).success).toBe(false);
    expect(config.safeParse({ EVENT_BUS_URL: 'many://a:4222,one://b:4005' }).success).toBe(false);
    const ftp = config.safeParse({ EVENT_BUS_URL: 'ftp://a' });
    expect(ftp.success ? '' : ftp.error.issues[0].message).toMatch(/a scheme the bus SDK speaks \(one:, many:\)/);
    expect(() => connectBus('ftp://a')).toThrow(/no bus transport/);
  });
});
