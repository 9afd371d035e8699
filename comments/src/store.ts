export type Status = 'pending' | 'approved' | 'rejected';

export interface Comment {
  id: string;
  postId: string;
  content: string;
  status: Status;
  /** The request that created it, so its later events can be followed back. */
  requestId?: string;
}

export function createStore() {
  const postIds = new Set<string>();
  const commentsByPostId = new Map<string, Comment[]>();
  const commentsById = new Map<string, Comment>();
  /** Moderated comments whose CommentUpdated the log doesn't hold yet: what we owe. */
  const awaitingUpdate = new Map<string, Comment>();

  return {
    commentsByPostId,
    awaitingUpdate,
    addPost(id: string) {
      postIds.add(id);
    },
    commentById(id: string) {
      return commentsById.get(id);
    },
    hasPost(id: string) {
      return postIds.has(id);
    },
    /** Adds a new comment; a comment already known keeps what it has (each comment once). */
    addComment(comment: Comment) {
      if (commentsById.has(comment.id)) return;
      commentsById.set(comment.id, comment);
      const list = commentsByPostId.get(comment.postId) ?? [];
      list.push(comment);
      commentsByPostId.set(comment.postId, list);
    },
    /** The verdict's content stands: moderation may withhold what it rejected. */
    moderated(id: string, status: Status, content: string) {
      const comment = commentsById.get(id);
      if (!comment) return;
      comment.status = status;
      comment.content = content;
      awaitingUpdate.set(id, comment);
    },
    updated(id: string) {
      awaitingUpdate.delete(id);
    },
  };
}

export type Store = ReturnType<typeof createStore>;
