import type { Kysely } from '@posts/db';

/** What posts keeps: every post the log holds, at the seq that created it. */
export interface Schema {
  posts: { id: string; title: string; seq: number };
}

/** The database, or one transaction of it. */
export type Db = Kysely<Schema>;
