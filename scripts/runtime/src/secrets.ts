// The cluster's Secrets for `npm start`: made on the first start and kept in the data folder, so every start after agrees.
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Made first if missing: 32 random bytes, hex. */
export function busSecretIn(dataDir: string): string {
  const file = path.join(dataDir, 'bus-secret');
  try {
    // 'wx': two launchers starting at once on one folder keep the same secret, the first one's.
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < 32) throw new Error(`${file} holds no bus secret (32 characters at least); delete it, and the next start makes a new one`);
  return secret;
}

/** `user=password` lines (`--from-env-file`'s format); a missing user gets 24 random bytes, hex (they travel in URLs), the others keep theirs. */
export function natsUsersIn(dataDir: string, users: string[]): Record<string, string> {
  const file = path.join(dataDir, 'nats-users');
  const known = passwordsIn(file);
  const missing = users.filter((user) => known[user] === undefined);
  // A new file is readable by this user alone; an existing one keeps its mode and its lines.
  if (missing.length > 0) appendFileSync(file, missing.map((user) => `${user}=${randomBytes(24).toString('hex')}\n`).join(''), { mode: 0o600 });
  return passwordsIn(file);
}

/** The first line for each user: two launchers adding a user at once agree on the first one's. */
function passwordsIn(file: string): Record<string, string> {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const passwords: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([^=\s]+)=([A-Za-z0-9]{32,})$/.exec(line.trim());
    if (m) passwords[m[1]] ??= m[2];
  }
  return passwords;
}
