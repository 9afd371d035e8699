import type { Kysely } from '@posts/db';

/** What moderation keeps: the comments created that the log holds no verdict on yet, what it owes. */
export interface Schema {
  /** `seq` is the CommentCreated's; `traceparent` where it was processed, which the verdict continues. */
  awaiting_moderation: { id: string; post_id: string; content: string; seq: number; request_id: string | null; traceparent: string | null };
}

/** The database, or one transaction of it. */
export type Db = Kysely<Schema>;
