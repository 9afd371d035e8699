/** The console's read-only API (the client's server, /console/api), called with relative URLs only. */

import type { LoggedEvent, Path } from '../../server/console/shapes';

// The API's JSON, typed once beside the server that sends it.
export type { LoggedEvent, Path, Step, SubscriberView } from '../../server/console/shapes';

export const LIVE_URL = '/console/api/live';

/** A page of older events, newest first; `next` is the `before` of the page after it (null at the log's start). */
export async function fetchOlderEvents(before: number, limit = 50): Promise<{ events: LoggedEvent[]; next: number | null }> {
  return (await getJson(`/console/api/events?before=${before}&limit=${limit}`)) as { events: LoggedEvent[]; next: number | null };
}

/** The path of a comment id or a request id; null when no recent event has it. */
export async function fetchPath(id: string): Promise<Path | null> {
  const response = await fetch(`/console/api/path?id=${encodeURIComponent(id)}`, { headers: { Accept: 'application/json' } });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(await messageOf(response));
  return (await response.json()) as Path;
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(await messageOf(response));
  return response.json();
}

async function messageOf(response: Response): Promise<string> {
  const body = (await response.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
  return body?.error?.message ?? `The console's API answered ${response.status}.`;
}

/** A time as hours, minutes, seconds and milliseconds, in the browser's zone. */
export function clockOf(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toLocaleTimeString([], { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** A step's delay, `+12 ms` or `+1.5 s`; `−3 ms` when the read model's clock (the console's) saw it before the log's said. */
export function deltaOf(ms: number | null): string {
  if (ms === null) return '';
  const sign = ms < 0 ? '−' : '+';
  return Math.abs(ms) < 1000 ? `${sign}${Math.abs(ms)} ms` : `${sign}${(Math.abs(ms) / 1000).toFixed(1)} s`;
}

/** A size in bytes as people read it: `512 B`, `8 KB`, `5.2 MB`, `1.3 GB` (of 1024). */
export function sizeOf(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${Math.round(bytes / 1024)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}

/** How far a rebuild has come, in whole percent: its checkpoint of the log's head. */
export function progressOf(checkpoint: number, logHead: number): number {
  return logHead > 0 ? Math.min(100, Math.floor((checkpoint / logHead) * 100)) : 100;
}
