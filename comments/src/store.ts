import type { Comment, CommentStatus } from '@posts/contracts';
import type { Db } from './schema';

/** A comment we owe a CommentUpdated for, with the request that created it, so the update can be followed back. */
export interface OwedUpdate extends Comment {
  requestId?: string;
  /** Where its CommentModerated was processed: the update continues that trace. */
  traceparent?: string;
}

const commentColumns = ['id', 'post_id as postId', 'content', 'status'] as const;

export async function hasPost(db: Db, id: string): Promise<boolean> {
  return (await db.selectFrom('posts').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

export const commentById = (db: Db, id: string): Promise<Comment | undefined> =>
  db.selectFrom('comments').select(commentColumns).where('id', '=', id).executeTakeFirst();

/** A post's comments in log order. */
export const commentsOf = (db: Db, postId: string): Promise<Comment[]> =>
  db.selectFrom('comments').select(commentColumns).where('post_id', '=', postId).orderBy('seq').execute();

/** The CommentUpdated events we owe, oldest verdict first. */
export async function owedUpdates(db: Db): Promise<OwedUpdate[]> {
  const rows = await db
    .selectFrom('owed_updates')
    .innerJoin('comments', 'comments.id', 'owed_updates.id')
    .select(['comments.id', 'comments.post_id', 'comments.content', 'comments.status', 'comments.request_id', 'owed_updates.traceparent'])
    .orderBy('owed_updates.seq')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    postId: r.post_id,
    content: r.content,
    status: r.status,
    ...(r.request_id !== null && { requestId: r.request_id }),
    ...(r.traceparent !== null && { traceparent: r.traceparent }),
  }));
}

export async function addPost(db: Db, id: string): Promise<void> {
  await db
    .insertInto('posts')
    .values({ id })
    .onConflict((c) => c.doNothing())
    .execute();
}

/** Adds a new comment at its `seq` in the log, created by `requestId`; a comment already known keeps what it has (each comment once). */
export async function addComment(db: Db, comment: Comment, seq: number, requestId?: string): Promise<void> {
  await db
    .insertInto('comments')
    .values({ id: comment.id, post_id: comment.postId, content: comment.content, status: comment.status, seq, request_id: requestId ?? null })
    .onConflict((c) => c.doNothing())
    .execute();
}

/** The verdict's content stands: moderation may withhold what it rejected. Owes a CommentUpdated. */
export async function recordVerdict(db: Db, id: string, status: CommentStatus, content: string, seq: number, traceparent?: string): Promise<void> {
  const { numUpdatedRows } = await db.updateTable('comments').set({ status, content }).where('id', '=', id).executeTakeFirst();
  if (numUpdatedRows === 0n) return;
  await db
    .insertInto('owed_updates')
    .values({ id, seq, traceparent: traceparent ?? null })
    .onConflict((c) => c.column('id').doUpdateSet({ seq, traceparent: traceparent ?? null }))
    .execute();
}

/** The log holds these comments' CommentUpdated: nothing more is owed for them. */
export async function recordUpdatesPublished(db: Db, ids: string[]): Promise<void> {
  if (ids.length > 0) await db.deleteFrom('owed_updates').where('id', 'in', ids).execute();
}
