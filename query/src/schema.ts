import type { CommentStatus } from '@posts/contracts';
import type { Kysely } from '@posts/db';

/** What query keeps: every post and comment the log holds, each at the seq that created it. */
export interface Schema {
  posts: { id: string; title: string; seq: number; comment_count: number };
  comments: { id: string; post_id: string; content: string; status: CommentStatus; seq: number };
  /** One row (id 1): the seq of the last change applied, the model's version; none before the first. */
  last_change: { id: number; seq: number };
}

/** The database, or one transaction of it. */
export type Db = Kysely<Schema>;
