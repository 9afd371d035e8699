/** Posts as the log tells them. */
export interface Post {
  id: string;
  title: string;
}

export function createStore() {
  const postsById = new Map<string, Post>();
  return {
    postsById,
    addPost(post: Post) {
      if (!postsById.has(post.id)) postsById.set(post.id, post);
    },
  };
}

export type Store = ReturnType<typeof createStore>;
