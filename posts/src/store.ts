import type { Db } from './schema';

/** Posts as the log tells them. */
export interface Post {
  id: string;
  title: string;
}

export const postById = (db: Db, id: string): Promise<Post | undefined> =>
  db.selectFrom('posts').select(['id', 'title']).where('id', '=', id).executeTakeFirst();

/** Every post, `{ [id]: {id, title} }` in log order: the course's `GET /posts`. */
export async function allPosts(db: Db): Promise<Record<string, Post>> {
  const rows = await db.selectFrom('posts').select(['id', 'title']).orderBy('seq').execute();
  return Object.fromEntries(rows.map((post) => [post.id, post]));
}

/** Keeps the first post of an id: a retried write answers the post as first stored. */
export async function addPost(db: Db, post: Post, seq: number): Promise<void> {
  await db
    .insertInto('posts')
    .values({ id: post.id, title: post.title, seq })
    .onConflict((c) => c.doNothing())
    .execute();
}
