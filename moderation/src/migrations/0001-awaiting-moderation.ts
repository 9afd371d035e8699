import type { SchemaDb } from '@posts/db';

export async function up(db: SchemaDb): Promise<void> {
  await db.schema
    .createTable('awaiting_moderation')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('post_id', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('traceparent', 'text')
    .execute();
}
