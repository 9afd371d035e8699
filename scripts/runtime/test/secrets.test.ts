import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { busSecretIn, natsUsersIn } from '../src/secrets';

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

describe('the local NATS users', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'nats-users-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const users = ['posts', 'comments', 'query', 'moderation'];

  test('are made once, a password each (24 random bytes, hex), readable by this user alone, and the same on every start after', () => {
    const first = natsUsersIn(dir, users);
    expect(Object.keys(first)).toEqual(users);
    for (const password of Object.values(first)) expect(password).toMatch(/^[0-9a-f]{48}$/);
    expect(new Set(Object.values(first)).size).toBe(4);
    expect(statSync(path.join(dir, 'nats-users')).mode & 0o777).toBe(0o600);
    expect(natsUsersIn(dir, users)).toEqual(first);
    // kubectl's --from-env-file format: the same file could make the cluster's Secret.
    expect(readFileSync(path.join(dir, 'nats-users'), 'utf8')).toBe(users.map((u) => `${u}=${first[u]}\n`).join(''));
  });

  test('a user the manifests name later gets a password added, and the others keep theirs', () => {
    const before = natsUsersIn(dir, users);
    const after = natsUsersIn(dir, [...users, 'client']);
    expect(after).toEqual({ ...before, client: expect.stringMatching(/^[0-9a-f]{48}$/) });
    expect(new Set(Object.values(after)).size).toBe(5);
    expect(statSync(path.join(dir, 'nats-users')).mode & 0o777).toBe(0o600);
    expect(natsUsersIn(dir, [...users, 'client'])).toEqual(after);
  });

  test('a line that holds no password (under 32 letters or digits) is replaced by a new one', () => {
    writeFileSync(path.join(dir, 'nats-users'), 'posts=short\n', { mode: 0o600 });
    expect(natsUsersIn(dir, ['posts']).posts).toMatch(/^[0-9a-f]{48}$/);
  });
});
