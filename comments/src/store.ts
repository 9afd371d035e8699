import type { Comment as CommentData, CommentStatus } from '@posts/contracts';

export interface Comment extends CommentData {
  /** The request that created it, so its later events can be followed back. */
  requestId?: string;
}

export function createStore() {
  const postIds = new Set<string>();
  const commentsByPostId = new Map<string, Comment[]>();
  const commentsById = new Map<string, Comment>();
  /** Each comment's place in the log: lists follow it, so every replica lists a post's comments alike. */
  const seqById = new Map<string, number>();
  /** Moderated comments whose CommentUpdated the log doesn't hold yet: what we owe. */
  const awaitingUpdate = new Map<string, Comment>();

  return {
    hasPost: (id: string) => postIds.has(id),
    commentById: (id: string) => commentsById.get(id),
    commentsOf: (postId: string): readonly Comment[] => commentsByPostId.get(postId) ?? [],
    /** The CommentUpdated events we owe, oldest verdict first. */
    owedUpdates: () => [...awaitingUpdate.values()],
    addPost(id: string) {
      postIds.add(id);
    },
    /** Adds a new comment at its `seq` in the log; a comment already known keeps what it has (each comment once). */
    addComment(comment: Comment, seq: number) {
      if (commentsById.has(comment.id)) return;
      commentsById.set(comment.id, comment);
      seqById.set(comment.id, seq);
      const list = commentsByPostId.get(comment.postId) ?? [];
      // Nearly always the last: only another replica's write, learnt after our own, goes further back.
      let at = list.length;
      while (at > 0 && seqById.get(list[at - 1].id)! > seq) at--;
      list.splice(at, 0, comment);
      commentsByPostId.set(comment.postId, list);
    },
    /** The verdict's content stands: moderation may withhold what it rejected. Owes a CommentUpdated. */
    recordVerdict(id: string, status: CommentStatus, content: string) {
      const comment = commentsById.get(id);
      if (!comment) return;
      comment.status = status;
      comment.content = content;
      awaitingUpdate.set(id, comment);
    },
    /** The log holds the comment's CommentUpdated: nothing more is owed for it. */
    recordUpdatePublished(id: string) {
      awaitingUpdate.delete(id);
    },
  };
}

export type Store = ReturnType<typeof createStore>;
