// Pages of posts and comments: their sizes, a page of posts as JSON, and the first page, kept.
import { encodeCursor, type CursorKind } from './cursor';
import type { ReadModel } from './model';
import type { Db } from './schema';
import { postsPage, type Page } from './store';

/** Page sizes (`limit`): posts 10 by default and at most 50 (each with its newest 3 comments); a post's older comments 20 by default and at most 100. */
export const POSTS_LIMIT = { byDefault: 10, max: 50 };
export const COMMENTS_LIMIT = { byDefault: 20, max: 100 };

export const nextCursor = (kind: CursorKind, page: Page<unknown>) => (page.nextBefore === null ? null : encodeCursor(kind, page.nextBefore));

/**
 * Posts newest first, a page at a time: `{posts: [{id, title, commentCount, comments, olderComments}], next, seq}`, where `seq` is
 * the last change the page has (a live event id): a client applies the live events after it on top, and skips those up to it.
 */
export async function postsPageJson(db: Db, limit: number, before?: number): Promise<string> {
  const page = await postsPage(db, limit, before);
  const posts = page.items.map(({ olderBefore, ...post }) => ({
    ...post,
    olderComments: olderBefore === null ? null : encodeCursor('comment', olderBefore),
  }));
  return JSON.stringify({ posts, next: nextCursor('post', page), seq: page.seq });
}

/**
 * The first page, the one every visitor opens: made once per committed change of the model, not once per request, and
 * kept (for the size asked last). Requests that come while it is made wait for the same one.
 */
export class FirstPage {
  private made: { seq: number; limit: number; body: Promise<Buffer> } | undefined;

  constructor(private readonly model: Pick<ReadModel, 'db' | 'seq'>) {}

  /** The first page of `limit` posts, as JSON. */
  json(limit: number): Promise<Buffer> {
    const { seq } = this.model;
    if (this.made?.seq !== seq || this.made.limit !== limit) {
      const made = { seq, limit, body: postsPageJson(this.model.db, limit).then((json) => Buffer.from(json)) };
      made.body.catch(() => {
        if (this.made === made) this.made = undefined; // a failed read is not kept
      });
      this.made = made;
    }
    return this.made.body;
  }
}
