/**
 * The secrets `npm start` gives the services where the cluster has Secrets: made on the first start
 * and kept beside the event log, readable by this user alone, so every start after agrees with it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
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
