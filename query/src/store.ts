import type { CommentStatus } from '@posts/contracts';

export interface CommentView {
  id: string;
  content: string;
  status: CommentStatus;
}

export interface PostView {
  id: string;
  title: string;
  comments: CommentView[];
}

/** The read model: every post with its comments, oldest first, built only from events. */
export function createStore() {
  const postsById = new Map<string, PostView>();
  const commentsById = new Map<string, CommentView>();
  // GET /posts is polled far more often than the model changes: serialize once per change,
  // and name each version so a poller that has it gets a 304.
  let cachedJson: string | null = null;
  let version = 0;

  return {
    addPost(id: string, title: string) {
      if (postsById.has(id)) return;
      postsById.set(id, { id, title, comments: [] });
      cachedJson = null;
      version++;
    },
    addComment(postId: string, comment: CommentView) {
      const post = postsById.get(postId);
      if (!post || commentsById.has(comment.id)) return;
      const view = { id: comment.id, content: comment.content, status: comment.status };
      post.comments.push(view);
      commentsById.set(view.id, view);
      cachedJson = null;
      version++;
    },
    updateComment(id: string, content: string, status: CommentStatus) {
      const view = commentsById.get(id);
      if (!view) return;
      view.content = content;
      view.status = status;
      cachedJson = null;
      version++;
    },
    /** Changes whenever the read model does. */
    etag(): string {
      return `W/"${version}"`;
    },
    /** `{ [postId]: {id, title, comments} }` as JSON text. */
    toJson(): string {
      cachedJson ??= JSON.stringify(Object.fromEntries(postsById));
      return cachedJson;
    },
  };
}

export type Store = ReturnType<typeof createStore>;
