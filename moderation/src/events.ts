import { on, z, type Bus, type SubscriberOptions } from 'event-bus/client';
import type { Verdict } from './moderate';
import type { Store } from './store';

/** The longest comment the public API takes, in characters. */
export const LONGEST_COMMENT = 1000;

const tooLong = (content: string) => content.length > LONGEST_COMMENT && [...content].length > LONGEST_COMMENT;

const comment = z.object({ id: z.string().min(1), postId: z.string().min(1), content: z.string() });

export function handlers(store: Store): SubscriberOptions['handlers'] {
  return {
    CommentCreated: on(comment, (c, event) => store.created({ ...c, requestId: event.requestId })),
    CommentModerated: on(comment, (c) => store.moderated(c.id)),
  };
}

/** Pays what we owe: a CommentModerated for every comment the log has no verdict on yet. */
export function react(bus: Bus, store: Store, moderate: (content: string) => Verdict) {
  return async () => {
    const owed = [...store.awaitingModeration.values()];
    if (owed.length === 0) return;
    await bus.publishReactions(
      owed.map(({ id, postId, content, requestId }) => ({
        id: `CommentModerated:${id}`, // one verdict per comment, however often we pay it
        type: 'CommentModerated',
        // A comment longer than the public API takes came around it: rejected, and not repeated,
        // so the verdict stays small enough for the bus however large the comment was.
        data: tooLong(content) ? { id, postId, content: '', status: 'rejected' } : { id, postId, content, status: moderate(content) },
        requestId,
      })),
    );
    for (const { id } of owed) store.moderated(id);
  };
}
