/** @jest-environment node */
import { readConfig } from '../src/server/config';

describe('readConfig', () => {
  it('defaults to 0.0.0.0:3000, logging from info up', () => {
    expect(readConfig({})).toEqual({ host: '0.0.0.0', port: 3000, logLevel: 'info' });
  });

  it('reads HOST, PORT and LOG_LEVEL', () => {
    expect(readConfig({ HOST: '127.0.0.1', PORT: '8080', LOG_LEVEL: 'warn' })).toEqual({ host: '127.0.0.1', port: 8080, logLevel: 'warn' });
  });

  it.each(['nonsense', 'WARN', 'warning'])('rejects LOG_LEVEL=%s with a message naming the variable', (level) => {
    expect(() => readConfig({ LOG_LEVEL: level })).toThrow(/LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent/);
  });

  it.each(['abc', '-1', '3000.5', '65536', '80 80'])('rejects PORT=%s with a message naming the variable', (port) => {
    expect(() => readConfig({ PORT: port })).toThrow(/PORT must be a whole number/);
  });
});
