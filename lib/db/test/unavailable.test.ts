import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DatabaseUnavailableError, openProjection, recordedAfterPublish, type Migrations, type Projection } from '../src';

interface Schema {
  notes: { id: string; body: string };
}
const migrations: Migrations = {
  '0001-notes': {
    up: (db) =>
      db.schema
        .createTable('notes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute(),
  },
};

/** Writes to `file` until the disk is full. */
function fillUp(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (;;) writeSync(fd, Buffer.alloc(16 * 1024));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

describe('a database that is away', () => {
  it('PostgreSQL not answering: a query fails fast as DatabaseUnavailableError, a 503 that changed nothing', async () => {
    const projection = openProjection<Schema>({ DATABASE_URL: `postgres://nobody:secret@127.0.0.1:${await closedPort()}/nothing` }, { migrations });
    try {
      const started = Date.now();
      const err = await projection.migrate().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatabaseUnavailableError);
      expect(err).toMatchObject({ status: 503, code: 'unavailable', answerable: true });
      expect(Date.now() - started).toBeLessThan(5_000);
      // After the event was published: the answer says so, and a retry settles it.
      expect(() => recordedAfterPublish(err)).toThrow(expect.objectContaining({ status: 503, code: 'outcome_unknown' }));
      const other = new Error('a bug');
      expect(() => recordedAfterPublish(other)).toThrow(other);
    } finally {
      await projection.close();
    }
  });

  // A full disk needs a small file system of its own: a tmpfs, which only root may mount.
  const root = process.getuid?.() === 0;
  if (!root) console.warn('skipping the full-disk test: mounting a tmpfs needs root (CI runs as root)');
  (root ? it : it.skip)(
    'the embedded database on a full disk: writes fail as DatabaseUnavailableError, reads go on, and writes work again once there is room',
    async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'posts-full-'));
      let opened: Projection<Schema> | undefined;
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
      try {
        const projection = openProjection<Schema>({ DATABASE_PATH: path.join(dir, 'state.db') }, { migrations });
        opened = projection;
        await projection.migrate();
        await projection.db.insertInto('notes').values({ id: 'kept', body: 'written while there was room' }).execute();
        fillUp(path.join(dir, 'filler'));
        let full: unknown;
        for (let i = 0; i < 1000 && full === undefined; i++) {
          full = await projection.state
            .transaction({ seq: i + 1 }, (tx) =>
              tx
                .insertInto('notes')
                .values({ id: `n${i}`, body: 'x'.repeat(4000) })
                .execute()
                .then(() => undefined),
            )
            .then(
              () => undefined,
              (err: unknown) => err,
            );
        }
        expect(full).toBeInstanceOf(DatabaseUnavailableError);
        expect(await projection.db.selectFrom('notes').select('id').where('id', '=', 'kept').execute()).toEqual([{ id: 'kept' }]);
        const { seq } = await projection.state.checkpoint();

        rmSync(path.join(dir, 'filler'));
        await projection.state.transaction({ seq: seq + 1 }, (tx) =>
          tx
            .insertInto('notes')
            .values({ id: 'after', body: 'room again' })
            .execute()
            .then(() => undefined),
        );
        expect((await projection.state.checkpoint()).seq).toBe(seq + 1);
      } finally {
        await opened?.close();
        execFileSync('umount', ['--lazy', dir]); // lazily: an error above stays the one reported
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
