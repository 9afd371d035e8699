import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { busSecretIn } from '../src/secrets';

describe('the local bus secret', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'bus-secret-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('is made once (32 random bytes, hex), readable by this user alone, and the same on every start after', () => {
    const first = busSecretIn(dir);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(path.join(dir, 'bus-secret')).mode & 0o777).toBe(0o600);
    expect(busSecretIn(dir)).toBe(first);
    expect(readFileSync(path.join(dir, 'bus-secret'), 'utf8')).toBe(first);
  });

  test('differs between data folders', () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'bus-secret-'));
    try {
      expect(busSecretIn(other)).not.toBe(busSecretIn(dir));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('a file that holds no secret stops the start, saying what to do', () => {
    writeFileSync(path.join(dir, 'bus-secret'), '\n');
    expect(() => busSecretIn(dir)).toThrow(/holds no bus secret .*delete it/);
  });
});
