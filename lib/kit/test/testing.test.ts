import { until } from '../src/testing';

describe('until', () => {
  it('returns the first truthy value, polling an async check as well', async () => {
    let calls = 0;
    await expect(until('the third call', async () => ++calls >= 3 && calls, 1000, 1)).resolves.toBe(3);
  });

  it('throws after its timeout, naming what it waited for', async () => {
    await expect(until('nothing', () => false, 30, 5)).rejects.toThrow('timed out waiting for nothing');
  });
});
