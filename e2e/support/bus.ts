// Talking to the bus as its own processes do: signed with the secret the launcher made for the system.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LOG_HEAD_HEADER, LOG_ID_HEADER, RequestSigner, SIGNATURE_HEADER } from '@posts/bus-http';
import type { System } from '@posts/runtime';

/** The bus secret the launcher made for `system`, kept beside its event log. */
export function busSecretOf(system: System): string {
  return readFileSync(path.join(system.dataDir, 'bus-secret'), 'utf8').trim();
}

/** Headers that sign a request as the bus's processes sign theirs; with `log`, as the bus signs a delivery. */
export function signedHeaders(secret: string, method: string, urlPath: string, body = '', log?: { logId: string; head: number }): Record<string, string> {
  const logId = log?.logId;
  const head = log && String(log.head);
  const signature = new RequestSigner(secret).sign({ method, path: urlPath, logId, head, body: Buffer.from(body) });
  return { ...(log ? { [LOG_ID_HEADER]: log.logId, [LOG_HEAD_HEADER]: String(log.head) } : {}), [SIGNATURE_HEADER]: signature };
}

/** A signed GET on the bus (`/events`, `/subscriptions`), as a service reads the log. */
export async function readBus<T>(system: System, urlPath: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${system.ports['event-bus']}${urlPath}`, { headers: signedHeaders(busSecretOf(system), 'GET', urlPath) });
  if (!res.ok) throw new Error(`GET ${urlPath} on the bus: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
