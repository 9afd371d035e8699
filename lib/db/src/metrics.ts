import { metric } from '@posts/kit';
import { Gauge } from 'prom-client';
import type { Database } from './database';

/** The databases open in this process (one, in a service), measured when Prometheus scrapes. */
const measured = new Set<Pick<Database<unknown>, 'kind' | 'size'>>();

/** Makes `/metrics` show the database's size, until it is closed. */
export function watchDatabase(database: Pick<Database<unknown>, 'kind' | 'size'>): () => void {
  metric(
    'db_size_bytes',
    () =>
      new Gauge({
        name: 'db_size_bytes',
        help: "Bytes the service's database takes: its projection of the log.",
        labelNames: ['kind'],
        async collect() {
          this.reset();
          for (const db of measured) {
            // A database that cannot answer now (PostgreSQL restarting) shows no sample rather than fail the scrape.
            const bytes = await db.size().catch(() => undefined);
            if (bytes !== undefined) this.set({ kind: db.kind }, bytes);
          }
        },
      }),
  );
  measured.add(database);
  return () => measured.delete(database);
}
