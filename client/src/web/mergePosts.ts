import type { Comment, Post } from './api';

/** What this tab wrote and the read model may not show yet (query catches up a moment after a write). */
export interface Unconfirmed {
  posts: Post[];
  comments: { postId: string; comment: Comment }[];
}

export const NOTHING_UNCONFIRMED: Unconfirmed = { posts: [], comments: [] };

/**
 * The server's posts plus what this tab wrote that the server does not show yet,
 * and what is still unconfirmed once the server's answer is taken into account.
 */
export function mergePosts(serverPosts: Post[], unconfirmed: Unconfirmed): { posts: Post[]; unconfirmed: Unconfirmed } {
  const serverIds = new Set(serverPosts.map((post) => post.id));
  const serverCommentIds = new Set(serverPosts.flatMap((post) => post.comments.map((comment) => comment.id)));
  const stillUnconfirmed: Unconfirmed = {
    posts: unconfirmed.posts.filter((post) => !serverIds.has(post.id)),
    comments: unconfirmed.comments.filter(({ comment }) => !serverCommentIds.has(comment.id)),
  };
  return { posts: withUnconfirmed(serverPosts, stillUnconfirmed), unconfirmed: stillUnconfirmed };
}

/** Appends unconfirmed posts (newest last, like the server's order) and comments to the posts they belong to. */
export function withUnconfirmed(posts: Post[], unconfirmed: Unconfirmed): Post[] {
  const all = [...posts, ...unconfirmed.posts.filter((post) => !posts.some((known) => known.id === post.id))];
  return all.map((post) => {
    const extra = unconfirmed.comments
      .filter(({ postId, comment }) => postId === post.id && !post.comments.some((known) => known.id === comment.id))
      .map(({ comment }) => comment);
    return extra.length === 0 ? post : { ...post, comments: [...post.comments, ...extra] };
  });
}

export function hasPendingComment(posts: Post[]): boolean {
  return posts.some((post) => post.comments.some((comment) => comment.status === 'pending'));
}
