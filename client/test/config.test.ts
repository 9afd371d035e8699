/** @jest-environment node */
import { configSchema } from '../src/server/config';

const failures = (env: Record<string, string>) => configSchema.safeParse(env).error?.issues.map((issue) => issue.path.join('.'));

describe('configSchema', () => {
  it('defaults to 0.0.0.0:3000, logging from info up', () => {
    expect(configSchema.parse({})).toEqual({ HOST: '0.0.0.0', PORT: 3000, LOG_LEVEL: 'info' });
  });

  it('reads HOST, PORT and LOG_LEVEL', () => {
    expect(configSchema.parse({ HOST: '127.0.0.1', PORT: '8080', LOG_LEVEL: 'warn' })).toEqual({ HOST: '127.0.0.1', PORT: 8080, LOG_LEVEL: 'warn' });
  });

  it.each(['nonsense', 'WARN', 'warning'])('rejects LOG_LEVEL=%s, naming the variable', (level) => {
    expect(failures({ LOG_LEVEL: level })).toEqual(['LOG_LEVEL']);
  });

  it.each(['abc', '-1', '0', '3000.5', '65536', '80 80'])('rejects PORT=%s, naming the variable', (port) => {
    expect(failures({ PORT: port })).toEqual(['PORT']);
  });
});
