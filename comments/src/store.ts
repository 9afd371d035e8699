import type { Comment, CommentStatus } from '@posts/contracts';

/** A comment we owe a CommentUpdated for, with the request that created it, so the update can be followed back. */
export interface OwedUpdate extends Comment {
  requestId?: string;
  /** Where its CommentModerated was processed: the update continues that trace. */
  traceparent?: string;
}

/** A post's comments in log order, beside the seq of each: lists follow it, so every replica lists a post's comments alike. */
interface PostComments {
  /** The post's id, one string that every comment of it shares. */
  id: string;
  comments: Comment[];
  seqs: number[];
}

/**
 * Comments by post, built from events. Memory per comment is what it needs (it grows with the blog): one small
 * object of one shape, its id and content, a place in the map by id and in its post's lists. Nothing else stays:
 * the post's id is shared, and the request id (and, with tracing on, the verdict's traceparent) is kept only until the comment's CommentUpdated is in the log.
 */
export function createStore() {
  const postIds = new Set<string>();
  const byPostId = new Map<string, PostComments>();
  const commentsById = new Map<string, Comment>();
  /** The request that created each comment whose CommentUpdated the log doesn't hold yet: the update follows it back. */
  const requestIds = new Map<string, string>();
  /** Where each verdict we owe a CommentUpdated for was processed, while tracing is on: the update continues the trace. */
  const traceparents = new Map<string, string>();
  /** Moderated comments whose CommentUpdated the log doesn't hold yet: what we owe. */
  const awaitingUpdate = new Set<string>();

  return {
    hasPost: (id: string) => postIds.has(id),
    commentById: (id: string): Comment | undefined => commentsById.get(id),
    commentsOf: (postId: string): readonly Comment[] => byPostId.get(postId)?.comments ?? [],
    /** The CommentUpdated events we owe, oldest verdict first. */
    owedUpdates: (): OwedUpdate[] =>
      [...awaitingUpdate].map((id) => {
        const { postId, content, status } = commentsById.get(id)!;
        return { id, postId, content, status, requestId: requestIds.get(id), traceparent: traceparents.get(id) };
      }),
    addPost(id: string) {
      postIds.add(id);
    },
    /** Adds a new comment at its `seq` in the log, created by `requestId`; a comment already known keeps what it has (each comment once). */
    addComment(comment: Comment, seq: number, requestId?: string) {
      if (commentsById.has(comment.id)) return;
      let post = byPostId.get(comment.postId);
      if (!post) byPostId.set(comment.postId, (post = { id: comment.postId, comments: [], seqs: [] }));
      // A new object of one shape for every comment (what it is given may have a shape of its own), with the post's id string.
      const stored: Comment = { id: comment.id, postId: post.id, content: comment.content, status: comment.status };
      commentsById.set(stored.id, stored);
      if (requestId !== undefined) requestIds.set(stored.id, requestId);
      const { comments, seqs } = post;
      // Nearly always the last: only another replica's write, learnt after our own, goes further back.
      let at = seqs.length;
      while (at > 0 && seqs[at - 1] > seq) at--;
      comments.splice(at, 0, stored);
      seqs.splice(at, 0, seq);
    },
    /** The verdict's content stands: moderation may withhold what it rejected. Owes a CommentUpdated. */
    recordVerdict(id: string, status: CommentStatus, content: string, traceparent?: string) {
      const comment = commentsById.get(id);
      if (!comment) return;
      comment.status = status;
      comment.content = content;
      awaitingUpdate.add(id);
      if (traceparent !== undefined) traceparents.set(id, traceparent);
    },
    /** The log holds the comment's CommentUpdated: nothing more is owed for it, nor is its request id needed. */
    recordUpdatePublished(id: string) {
      awaitingUpdate.delete(id);
      requestIds.delete(id);
      traceparents.delete(id);
    },
  };
}

export type Store = ReturnType<typeof createStore>;
