/**
 * The secrets `npm start` gives the services where the cluster has Secrets: made on the first start
 * and kept beside the event log, readable by this user alone, so every start after agrees with them.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The bus secret in `dataDir` (`bus-secret`), made there first if it is missing: 32 random bytes, hex. */
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

/**
 * The NATS users' passwords in `dataDir` (`nats-users`, one `user=password` line each, the format of
 * `kubectl create secret generic nats-users --from-env-file`), made there first with one per user:
 * 24 random bytes, hex, as infra/k8s-nats/README.md makes them (letters and digits: they travel in URLs).
 * A user the manifests name later (the client's, for the console) gets a line added; the others keep theirs.
 */
export function natsUsersIn(dataDir: string, users: string[]): Record<string, string> {
  const file = path.join(dataDir, 'nats-users');
  const known = passwordsIn(file);
  const missing = users.filter((user) => known[user] === undefined);
  // A new file is readable by this user alone; an existing one keeps its mode and its lines.
  if (missing.length > 0) appendFileSync(file, missing.map((user) => `${user}=${randomBytes(24).toString('hex')}\n`).join(''), { mode: 0o600 });
  return passwordsIn(file);
}

/** Each user's password in the file, the first well-formed line for each: two launchers adding a user at once agree on the first one's. */
function passwordsIn(file: string): Record<string, string> {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const passwords: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([^=\s]+)=([A-Za-z0-9]{32,})$/.exec(line.trim());
    if (m) passwords[m[1]] ??= m[2];
  }
  return passwords;
}
