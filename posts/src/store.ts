/** Posts as the log tells them. */
export interface Post {
  id: string;
  title: string;
}

export function createStore() {
  const postsById = new Map<string, Post>();
  return {
    postById: (id: string) => postsById.get(id),
    allPosts: () => Object.fromEntries(postsById),
    /** Keeps the first post of an id: a retried write answers the post as first stored. */
    addPost(post: Post) {
      if (!postsById.has(post.id)) postsById.set(post.id, post);
    },
  };
}

export type Store = ReturnType<typeof createStore>;
