import { on, type Bus } from '@posts/bus-client';
import { CommentCreated, CommentModerated, LONGEST_COMMENT } from '@posts/contracts';
import type { Verdict } from './moderate';
import type { Db } from './schema';
import { awaitModeration, owedVerdicts, recordVerdicts } from './store';

const tooLong = (content: string) => content.length > LONGEST_COMMENT && [...content].length > LONGEST_COMMENT;

export const handlers = [
  on(CommentCreated, ({ id, postId, content }, { seq, requestId, traceparent }, tx: Db) =>
    awaitModeration(tx, { id, postId, content, requestId, traceparent }, seq),
  ),
  on(CommentModerated, (c, _event, tx: Db) => recordVerdicts(tx, [c.id])),
];

/** Pays what we owe: a CommentModerated for every comment the log has no verdict on yet. */
export function react(bus: Bus, db: Db, moderate: (content: string) => Verdict) {
  return async () => {
    const owed = await owedVerdicts(db);
    if (owed.length === 0) return;
    await bus.publishReactions(
      CommentModerated,
      owed.map(({ id, postId, content, requestId, traceparent }) => ({
        // A comment longer than the public API takes came around it: rejected, and not repeated,
        // so the verdict stays small enough for the bus however large the comment was.
        data: tooLong(content) ? { id, postId, content: '', status: 'rejected' as const } : { id, postId, content, status: moderate(content) },
        requestId,
        traceparent,
      })),
    );
    await recordVerdicts(
      db,
      owed.map(({ id }) => id),
    );
  };
}
