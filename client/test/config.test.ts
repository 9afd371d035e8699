/** @jest-environment node */
import { configSchema } from '../src/server/config';

const failures = (env: Record<string, string>) => configSchema.safeParse(env).error?.issues.map((issue) => issue.path.join('.'));

const CLUSTER_DEFAULTS = {
  QUERY_URL: 'http://query-srv:4002',
  SERVICE_URLS: {
    posts: 'http://posts-srv:4000',
    comments: 'http://comments-srv:4001',
    query: 'http://query-srv:4002',
    moderation: 'http://moderation-srv:4003',
  },
};

describe('configSchema', () => {
  it('defaults to 0.0.0.0:3000, logging from info up, with no bus (the console is off) and the cluster names', () => {
    expect(configSchema.parse({})).toEqual({ HOST: '0.0.0.0', PORT: 3000, LOG_LEVEL: 'info', ...CLUSTER_DEFAULTS });
  });

  it('reads HOST, PORT and LOG_LEVEL', () => {
    expect(configSchema.parse({ HOST: '127.0.0.1', PORT: '8080', LOG_LEVEL: 'warn' })).toEqual({
      HOST: '127.0.0.1',
      PORT: 8080,
      LOG_LEVEL: 'warn',
      ...CLUSTER_DEFAULTS,
    });
  });

  it("reads the console's bus, secret, query and service names", () => {
    const env = {
      EVENT_BUS_URL: 'http://127.0.0.1:4005',
      BUS_SECRET: 's'.repeat(32),
      QUERY_URL: 'http://127.0.0.1:4002',
      SERVICE_URLS: 'query=http://127.0.0.1:4002, posts=http://127.0.0.1:4000',
    };
    expect(configSchema.parse(env)).toMatchObject({ ...env, SERVICE_URLS: { query: 'http://127.0.0.1:4002', posts: 'http://127.0.0.1:4000' } });
  });

  it.each(['nonsense', 'WARN', 'warning'])('rejects LOG_LEVEL=%s, naming the variable', (level) => {
    expect(failures({ LOG_LEVEL: level })).toEqual(['LOG_LEVEL']);
  });

  it.each(['abc', '-1', '0', '3000.5', '65536', '80 80'])('rejects PORT=%s, naming the variable', (port) => {
    expect(failures({ PORT: port })).toEqual(['PORT']);
  });

  it.each([
    ['EVENT_BUS_URL', 'ftp://bus:4005'],
    ['EVENT_BUS_URL', ''],
    ['BUS_SECRET', 'short'],
    ['QUERY_URL', 'query-srv:4002'],
    ['SERVICE_URLS', 'query'],
    ['SERVICE_URLS', 'query=query-srv:4002'],
  ])('rejects %s=%s, naming the variable', (name, value) => {
    expect(failures({ [name]: value })?.[0]?.split('.')[0]).toBe(name);
  });
});
