// The read model in its database: what the handlers write (in the subscriber's transaction) and what the routes read.
import type { CommentStatus } from '@posts/contracts';
import type { Change } from './live';
import type { Db } from './schema';

export interface CommentView {
  id: string;
  content: string;
  status: CommentStatus;
}

/** A post on a page: its newest few comments (in log order) and where its older ones start. */
export interface PostSummary {
  id: string;
  title: string;
  commentCount: number;
  comments: CommentView[];
  /** The seq to read older comments before; null when these are all of them. */
  olderBefore: number | null;
}

/**
 * A page of anything kept in log order: the seq to read the next (older) page before, null at the start of the
 * log, and `seq`, the last change the page has: it has every change up to it and none after.
 */
export interface Page<T> {
  items: T[];
  nextBefore: number | null;
  seq: number;
}

/** How many of a post's newest comments a page of posts shows. */
export const LATEST_COMMENTS = 3;
/** Posts, and comments, per query of the streamed `GET /posts`: what it holds at once, whatever the blog's size. */
const POSTS_PER_CHUNK = 500;
const COMMENTS_PER_CHUNK = 1000;

const commentView = ['id', 'content', 'status'] as const;

/** A new post, unless its id is there already. */
export async function addPost(db: Db, id: string, title: string, seq: number): Promise<Change | undefined> {
  const { numInsertedOrUpdatedRows } = await db
    .insertInto('posts')
    .values({ id, title, seq, comment_count: 0 })
    .onConflict((c) => c.doNothing())
    .executeTakeFirstOrThrow();
  return numInsertedOrUpdatedRows ? { seq, event: 'post', data: { id, title } } : undefined;
}

/** A new comment on a post it has, unless its id is there already; counted on its post. */
export async function addComment(db: Db, postId: string, { id, content, status }: CommentView, seq: number): Promise<Change | undefined> {
  const counted = await db
    .updateTable('posts')
    .set((eb) => ({ comment_count: eb('comment_count', '+', 1) }))
    .where('id', '=', postId)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('comments').select('id').where('id', '=', id))))
    .executeTakeFirstOrThrow();
  if (!counted.numUpdatedRows) return undefined;
  await db.insertInto('comments').values({ id, post_id: postId, content, status, seq }).execute();
  return { seq, event: 'comment', data: { postId, id, content, status } };
}

/** A comment's new content and status, where it has the comment. */
export async function updateComment(db: Db, id: string, content: string, status: CommentStatus, seq: number): Promise<Change | undefined> {
  const known = await db.updateTable('comments').set({ content, status }).where('id', '=', id).returning('post_id').executeTakeFirst();
  return known && { seq, event: 'comment-status', data: { postId: known.post_id, id, content, status } };
}

/** The seq of the last change applied; 0 before the first. */
export async function lastChange(db: Db): Promise<number> {
  const row = await db.selectFrom('last_change').select('seq').where('id', '=', 1).executeTakeFirst();
  return row ? Number(row.seq) : 0;
}

export async function setLastChange(db: Db, seq: number): Promise<void> {
  await db
    .insertInto('last_change')
    .values({ id: 1, seq })
    .onConflict((c) => c.column('id').doUpdateSet({ seq }))
    .execute();
}

/** Reads in one snapshot: every statement of `read` sees the same committed changes. */
const snapshot = <T>(db: Db, read: (tx: Db) => Promise<T>): Promise<T> =>
  db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(read);

/** Up to `limit` posts older than seq `before` (all when absent), newest first, each with its newest comments. */
export function postsPage(db: Db, limit: number, before?: number): Promise<Page<PostSummary>> {
  return snapshot(db, async (tx) => {
    const posts = await tx
      .selectFrom('posts')
      .select(['id', 'title', 'seq', 'comment_count'])
      .$if(before !== undefined, (q) => q.where('seq', '<', before!))
      .orderBy('seq', 'desc')
      .limit(limit + 1)
      .execute();
    const shown = posts.slice(0, limit);
    const newest = await newestComments(
      tx,
      shown.map((p) => p.id),
    );
    const items = shown.map(({ id, title, comment_count }) => {
      const comments = newest.filter((c) => c.post_id === id);
      return {
        id,
        title,
        commentCount: Number(comment_count),
        comments: comments.map(({ id, content, status }) => ({ id, content, status })),
        olderBefore: comment_count > comments.length ? Number(comments[0].seq) : null,
      };
    });
    return { items, nextBefore: posts.length > limit ? Number(shown[limit - 1].seq) : null, seq: await lastChange(tx) };
  });
}

/**
 * The newest comments of each of the posts `ids`, in log order: one statement of one index seek per post (a window
 * function over every comment of the page's posts measured 5x slower on the embedded database at 100 comments a post).
 */
async function newestComments(db: Db, ids: string[]) {
  const newestOf = (id: string) =>
    db
      .selectFrom((from) =>
        from
          .selectFrom('comments')
          .select(['post_id', ...commentView, 'seq'])
          .where('post_id', '=', id)
          .orderBy('seq', 'desc')
          .limit(LATEST_COMMENTS)
          .as('newest'),
      )
      .selectAll();
  if (ids.length === 0) return [];
  const all = ids.slice(1).reduce((union, id) => union.unionAll(newestOf(id)), newestOf(ids[0]));
  return db.selectFrom(all.as('page')).selectAll().orderBy('seq').execute();
}

/** Up to `limit` of a post's comments older than seq `before` (the newest when absent), in log order; undefined for an unknown post. */
export function commentsPage(db: Db, postId: string, limit: number, before?: number): Promise<Page<CommentView> | undefined> {
  return snapshot(db, async (tx) => {
    const rows = await tx
      .selectFrom('comments')
      .select([...commentView, 'seq'])
      .where('post_id', '=', postId)
      .$if(before !== undefined, (q) => q.where('seq', '<', before!))
      .orderBy('seq', 'desc')
      .limit(limit + 1)
      .execute();
    // A comment is only ever stored on a post it has: only a page without comments needs to ask.
    if (rows.length === 0 && !(await tx.selectFrom('posts').select('id').where('id', '=', postId).executeTakeFirst())) return undefined;
    const shown = rows.slice(0, limit).reverse();
    return {
      items: shown.map(({ id, content, status }) => ({ id, content, status })),
      nextBefore: rows.length > limit ? Number(shown[0].seq) : null,
      seq: await lastChange(tx),
    };
  });
}

/**
 * `{ [postId]: {id, title, comments} }` as JSON text in log order, a post (or a run of its comments) per chunk, made
 * as the reader takes them: the posts and comments there are up to `upTo` (updates to comments in it still show),
 * read by keyset pages, so it holds a page at a time whatever the blog's size.
 */
export async function* allPostsJson(db: Db, upTo: number): AsyncGenerator<string> {
  let after = 0;
  let first = true;
  for (;;) {
    const posts = await db
      .selectFrom('posts')
      .select(['id', 'title', 'seq'])
      .where('seq', '>', after)
      .where('seq', '<=', upTo)
      .orderBy('seq')
      .limit(POSTS_PER_CHUNK)
      .execute();
    if (posts.length === 0) break;
    const runs = commentRuns(db, after, Number(posts.at(-1)!.seq), upTo);
    let run = (await runs.next()).value ?? [];
    let i = 0;
    for (const post of posts) {
      let text = `${first ? '{' : ','}${JSON.stringify(post.id)}:{"id":${JSON.stringify(post.id)},"title":${JSON.stringify(post.title)},"comments":[`;
      first = false;
      for (let n = 0; i < run.length && Number(run[i].post_seq) === Number(post.seq); n++) {
        const { id, content, status } = run[i];
        text += (n === 0 ? '' : ',') + JSON.stringify({ id, content, status });
        if (++i === run.length) {
          yield text;
          text = '';
          run = (await runs.next()).value ?? [];
          i = 0;
        }
      }
      yield `${text}]}`;
    }
    after = Number(posts.at(-1)!.seq);
  }
  yield first ? '{}' : '}';
}

/** The comments (up to `upTo`) of the posts after seq `after` up to `last`, in their posts' order then their own, a run at a time. */
async function* commentRuns(db: Db, after: number, last: number, upTo: number) {
  let from: { post: number; comment: number } | undefined;
  for (;;) {
    const run = await db
      .selectFrom('comments')
      .innerJoin('posts', 'posts.id', 'comments.post_id')
      .select(['comments.id', 'comments.content', 'comments.status', 'comments.seq', 'posts.seq as post_seq'])
      .where('posts.seq', '<=', last)
      .where('comments.seq', '<=', upTo)
      .$if(from === undefined, (q) => q.where('posts.seq', '>', after))
      .$if(from !== undefined, (q) =>
        q.where('posts.seq', '>=', from!.post).where((eb) => eb.or([eb('posts.seq', '>', from!.post), eb('comments.seq', '>', from!.comment)])),
      )
      .orderBy('posts.seq')
      .orderBy('comments.seq')
      .limit(COMMENTS_PER_CHUNK)
      .execute();
    if (run.length > 0) yield run;
    if (run.length < COMMENTS_PER_CHUNK) return;
    from = { post: Number(run.at(-1)!.post_seq), comment: Number(run.at(-1)!.seq) };
  }
}
