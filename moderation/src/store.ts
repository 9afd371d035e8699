import type { Db } from './schema';

export interface AwaitingComment {
  id: string;
  postId: string;
  content: string;
  requestId?: string;
  /** Where its CommentCreated was processed: the verdict continues that trace. */
  traceparent?: string;
}

/** The verdicts we owe, oldest comment first. */
export async function owedVerdicts(db: Db): Promise<AwaitingComment[]> {
  const rows = await db.selectFrom('awaiting_moderation').selectAll().orderBy('seq').execute();
  return rows.map((r) => ({
    id: r.id,
    postId: r.post_id,
    content: r.content,
    ...(r.request_id !== null && { requestId: r.request_id }),
    ...(r.traceparent !== null && { traceparent: r.traceparent }),
  }));
}

export async function awaitModeration(db: Db, comment: AwaitingComment, seq: number): Promise<void> {
  await db
    .insertInto('awaiting_moderation')
    .values({
      id: comment.id,
      post_id: comment.postId,
      content: comment.content,
      seq,
      request_id: comment.requestId ?? null,
      traceparent: comment.traceparent ?? null,
    })
    .onConflict((c) => c.doNothing())
    .execute();
}

/** The log holds these comments' verdicts: nothing more is owed for them. */
export async function recordVerdicts(db: Db, ids: string[]): Promise<void> {
  if (ids.length > 0) await db.deleteFrom('awaiting_moderation').where('id', 'in', ids).execute();
}
