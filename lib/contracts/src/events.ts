// The blog's events. Publishers and consumers both name them from here, so a misspelt type
// fails to compile. Consumers read tolerantly: extra fields are ignored, as old events must
// keep being readable.
import { z } from 'zod';
import { defineEvent } from './define';

/** The longest title and comment the public API takes, in characters. */
export const LONGEST_TITLE = 200;
export const LONGEST_COMMENT = 1000;

export const commentStatuses = ['pending', 'approved', 'rejected'] as const;
export type CommentStatus = (typeof commentStatuses)[number];

const comment = z.object({
  id: z.string().min(1),
  postId: z.string().min(1),
  content: z.string(),
  status: z.enum(commentStatuses),
});
export type Comment = z.infer<typeof comment>;

export const PostCreated = defineEvent('PostCreated', z.object({ id: z.string().min(1), title: z.string() }), (post) => `PostCreated:${post.id}`);

/** A new comment is pending; a publisher that leaves the status out means that too. */
export const CommentCreated = defineEvent(
  'CommentCreated',
  comment.extend({ status: comment.shape.status.default('pending') }),
  (c) => `CommentCreated:${c.id}`,
);

/** Moderation's verdict: one per comment, however often it is paid. */
export const CommentModerated = defineEvent('CommentModerated', comment, (c) => `CommentModerated:${c.id}`);

/** Comments passes the verdict on, once per comment; the read side takes the final status from it. */
export const CommentUpdated = defineEvent('CommentUpdated', comment, (c) => `CommentUpdated:${c.id}`);
