/** @jest-environment node */
import { readConfig } from '../src/server/config';

describe('readConfig', () => {
  it('defaults to 0.0.0.0:3000', () => {
    expect(readConfig({})).toEqual({ host: '0.0.0.0', port: 3000 });
  });

  it('reads HOST and PORT', () => {
    expect(readConfig({ HOST: '127.0.0.1', PORT: '8080' })).toEqual({ host: '127.0.0.1', port: 8080 });
  });

  it.each(['abc', '-1', '3000.5', '65536', '80 80'])('rejects PORT=%s with a message naming the variable', (port) => {
    expect(() => readConfig({ PORT: port })).toThrow(/PORT must be a whole number/);
  });
});
