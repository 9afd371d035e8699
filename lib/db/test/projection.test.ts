import { statSync } from 'node:fs';
import { homes, type TestDatabase } from '@posts/db/testing';
import { openProjection, type Migrations } from '../src';

interface Schema {
  notes: { id: string; body: string; seq: number };
}

const migrations: Migrations = {
  '0001-notes': {
    up: (db) =>
      db.schema
        .createTable('notes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .execute(),
  },
};

describe.each(homes)('a projection, %s', (_home, make) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await make();
  });
  afterEach(() => database.drop());

  it('starts at seq 0, migrated, and moves its checkpoint with what a transaction applies', async () => {
    const projection = openProjection<Schema>(database.settings, { migrations });
    try {
      expect(await projection.state.checkpoint()).toEqual({ seq: 0, logId: undefined });
      await projection.state.transaction({ seq: 2, logId: 'log-a' }, async (tx) => {
        await tx.insertInto('notes').values({ id: 'n1', body: 'one', seq: 1 }).execute();
        await tx.insertInto('notes').values({ id: 'n2', body: 'two', seq: 2 }).execute();
      });
      expect(await projection.state.checkpoint()).toEqual({ seq: 2, logId: 'log-a' });
      expect(await projection.db.selectFrom('notes').select(['id', 'seq']).orderBy('seq').execute()).toEqual([
        { id: 'n1', seq: 1 },
        { id: 'n2', seq: 2 },
      ]);
      expect(await projection.size()).toBeGreaterThan(0);
      if (database.settings.DATABASE_PATH) {
        // What is committed counts before it is copied back from the write-ahead log into the file.
        const onDisk = ['', '-wal'].map((end) => statSync(`${database.settings.DATABASE_PATH}${end}`).size);
        expect(await projection.size()).toBe(onDisk[0] + onDisk[1]);
        expect(onDisk[1]).toBeGreaterThan(0);
      }
    } finally {
      await projection.close();
    }
  });

  it('keeps neither the effects nor the checkpoint of a transaction that fails', async () => {
    const projection = openProjection<Schema>(database.settings, { migrations });
    try {
      await projection.state.transaction({ seq: 1 }, (tx) =>
        tx
          .insertInto('notes')
          .values({ id: 'n1', body: 'one', seq: 1 })
          .execute()
          .then(() => undefined),
      );
      const failing = projection.state.transaction({ seq: 3 }, async (tx) => {
        await tx.insertInto('notes').values({ id: 'n2', body: 'two', seq: 2 }).execute();
        await tx.insertInto('notes').values({ id: 'n1', body: 'again', seq: 3 }).execute(); // the same id: refused
      });
      await expect(failing).rejects.toThrow();
      expect((await projection.state.checkpoint()).seq).toBe(1);
      expect(await projection.db.selectFrom('notes').select('id').execute()).toEqual([{ id: 'n1' }]);
    } finally {
      await projection.close();
    }
  });

  it('empties its tables and goes back to seq 0 on reset', async () => {
    const projection = openProjection<Schema>(database.settings, { migrations });
    try {
      await projection.state.transaction({ seq: 1, logId: 'log-a' }, (tx) =>
        tx
          .insertInto('notes')
          .values({ id: 'n1', body: 'one', seq: 1 })
          .execute()
          .then(() => undefined),
      );
      await projection.state.reset();
      expect(await projection.state.checkpoint()).toEqual({ seq: 0, logId: undefined });
      expect(await projection.db.selectFrom('notes').selectAll().execute()).toEqual([]);
    } finally {
      await projection.close();
    }
  });

  it('drops a database made by another version and makes it afresh, at seq 0', async () => {
    const newer = openProjection<Schema>(database.settings, { migrations: { ...migrations, '0002-later': { up: async () => undefined } } });
    await newer.state.transaction({ seq: 5 }, (tx) =>
      tx
        .insertInto('notes')
        .values({ id: 'n1', body: 'one', seq: 5 })
        .execute()
        .then(() => undefined),
    );
    await newer.close();
    const older = openProjection<Schema>(database.settings, { migrations });
    try {
      expect(await older.state.checkpoint()).toEqual({ seq: 0, logId: undefined });
      expect(await older.db.selectFrom('notes').selectAll().execute()).toEqual([]);
    } finally {
      await older.close();
    }
  });

  it('is still there, with its checkpoint, when opened again', async () => {
    const first = openProjection<Schema>(database.settings, { migrations });
    await first.state.transaction({ seq: 7, logId: 'log-a' }, (tx) =>
      tx
        .insertInto('notes')
        .values({ id: 'n1', body: 'one', seq: 7 })
        .execute()
        .then(() => undefined),
    );
    await first.close();
    const again = openProjection<Schema>(database.settings, { migrations });
    try {
      expect(await again.state.checkpoint()).toEqual({ seq: 7, logId: 'log-a' });
      expect(await again.db.selectFrom('notes').select('body').execute()).toEqual([{ body: 'one' }]);
    } finally {
      await again.close();
    }
  });

  it('refuses to serve from a schema whose migration failed: nothing of it stays, and it is tried again', async () => {
    let fail = true;
    const flaky: Migrations = {
      ...migrations,
      '0002-flaky': {
        async up(db) {
          await db.schema.alterTable('notes').addColumn('extra', 'text').execute();
          if (fail) throw new Error('migration failed half way');
        },
      },
    };
    const projection = openProjection<Schema>(database.settings, { migrations: flaky });
    try {
      await expect(projection.state.checkpoint()).rejects.toThrow('migration failed half way');
      fail = false;
      expect(await projection.state.checkpoint()).toEqual({ seq: 0, logId: undefined });
      await projection.db
        .insertInto('notes')
        .values({ id: 'n1', body: 'one', seq: 1, extra: 'x' } as never)
        .execute();
    } finally {
      await projection.close();
    }
  });
});
