import type { CommentStatus } from '@posts/contracts';
import type { Kysely } from '@posts/db';

/** What comments keeps: the posts it may take comments for, every comment, and the updates it owes. */
export interface Schema {
  posts: { id: string };
  /** A post's comments are listed in log order: by `seq`, the same on every replica. */
  comments: { id: string; post_id: string; content: string; status: CommentStatus; seq: number; request_id: string | null };
  /** Moderated comments whose CommentUpdated the log doesn't hold yet; `seq` is the verdict's, `traceparent` where it was processed. */
  owed_updates: { id: string; seq: number; traceparent: string | null };
}

/** The database, or one transaction of it. */
export type Db = Kysely<Schema>;
