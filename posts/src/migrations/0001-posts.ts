import type { SchemaDb } from '@posts/db';

export async function up(db: SchemaDb): Promise<void> {
  await db.schema
    .createTable('posts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull().unique())
    .execute();
}
