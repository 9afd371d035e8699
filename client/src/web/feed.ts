import type { Change, Comment, CommentsPage, CreatedComment, CreatedPost, PostsPage } from './api';

/** A post as the page shows it: a contiguous run of its newest comments (in log order) out of `commentCount`. */
export interface FeedPost {
  id: string;
  title: string;
  commentCount: number;
  comments: Comment[];
  /** Where its comments older than those shown start; null when all are shown. */
  olderCursor: string | null;
  /** The seq of the last change it has: a comment or status change up to it is in it already. */
  seq: number;
}

/** What the page shows: the posts asked for so far, newest first, and where the next page starts. */
export interface Feed {
  posts: FeedPost[];
  next: string | null;
  /** The seq of the last new post it has: a post change up to it is in it already, or too old to go first. */
  seq: number;
}

export const EMPTY_FEED: Feed = { posts: [], next: null, seq: 0 };

/** A page's posts, each as of the page's seq. */
const postsOf = (page: PostsPage): FeedPost[] =>
  dedupe(
    page.posts.map(({ id, title, commentCount, comments, olderComments }) => ({
      id,
      title,
      commentCount,
      comments,
      olderCursor: olderComments,
      seq: page.seq,
    })),
  );

export function feedFromPage(page: PostsPage): Feed {
  return { posts: postsOf(page), next: page.next, seq: page.seq };
}

/** How many of a post's comments are not shown yet. */
export function olderCount(post: FeedPost): number {
  return post.olderCursor === null ? 0 : Math.max(0, post.commentCount - post.comments.length);
}

/**
 * A new post goes first (it is the newest), unless it is shown already. `seq` is its change's, when it came on the
 * stream; this tab's own post has none until then (and takes every change for it).
 */
export function addPost(feed: Feed, { id, title }: CreatedPost, seq = 0): Feed {
  if (feed.posts.some((post) => post.id === id)) return feed;
  return { ...feed, posts: [{ id, title, commentCount: 0, comments: [], olderCursor: null, seq }, ...feed.posts], seq: Math.max(feed.seq, seq) };
}

/** A new comment goes last on its post, if the post is shown and the comment is not (whatever its status there). */
export function addComment(feed: Feed, { postId, ...comment }: CreatedComment, seq?: number): Feed {
  return mapPost(feed, postId, seq, (post) =>
    post.comments.some((known) => known.id === comment.id) ? post : { ...post, commentCount: post.commentCount + 1, comments: [...post.comments, comment] },
  );
}

/** A comment's new status (and content) where it is shown; nothing otherwise. */
export function updateComment(feed: Feed, { postId, ...comment }: CreatedComment, seq?: number): Feed {
  return mapPost(feed, postId, seq, (post) =>
    post.comments.some((known) => known.id === comment.id)
      ? { ...post, comments: post.comments.map((known) => (known.id === comment.id ? comment : known)) }
      : post,
  );
}

/**
 * One live change, where it is not in the feed yet: a page answer has every change up to its seq and none after, so
 * a change up to the seq of what it concerns (the post, or the feed for a new post) is skipped, and a later one applied.
 * Applying it twice, or to a page that already has it, changes nothing.
 */
export function applyChange(feed: Feed, change: Change): Feed {
  switch (change.event) {
    case 'post':
      return change.seq <= feed.seq ? feed : addPost(feed, change.data, change.seq);
    case 'comment':
      return addComment(feed, change.data, change.seq);
    case 'comment-status':
      return updateComment(feed, change.data, change.seq);
  }
}

/** The first page, with the changes had from the stream after its seq applied on top (it may be behind the stream). */
export function firstPage(page: PostsPage, changes: Change[]): Feed {
  return changes.reduce(applyChange, feedFromPage(page));
}

/** The next page of posts after those shown, with the stream's changes after its seq applied; posts already shown are not shown twice. */
export function withMorePosts(feed: Feed, page: PostsPage, changes: Change[]): Feed {
  const shown = new Set(feed.posts.map((post) => post.id));
  // New posts are newer than any on an older page: they are the stream's to show first (a feed at seq Infinity takes none).
  const more = changes.reduce(applyChange, { posts: postsOf(page).filter((post) => !shown.has(post.id)), next: null, seq: Infinity });
  return { ...feed, posts: [...feed.posts, ...more.posts], next: page.next };
}

/**
 * A post's older comments, put before those shown, with the statuses that changed after the page's seq applied. The
 * post is then as of the older of the two seqs: a later change the stream has not brought yet is applied when it comes
 * (a comment in it is shown already, its status ends as the last one).
 */
export function withOlderComments(feed: Feed, postId: string, page: CommentsPage, changes: Change[]): Feed {
  const withOlder = mapPost(feed, postId, undefined, (post) => {
    const shown = new Set(post.comments.map((comment) => comment.id));
    const comments = [...page.comments.filter((comment) => !shown.has(comment.id)), ...post.comments];
    return { ...post, comments, olderCursor: page.next, seq: Math.min(post.seq, page.seq) };
  });
  const olderIds = new Set(page.comments.map((comment) => comment.id));
  return changes.reduce(
    (current, change) =>
      change.event === 'comment-status' && change.seq > page.seq && olderIds.has(change.data.id) ? updateComment(current, change.data) : current,
    withOlder,
  );
}

/** Updates the post `postId`, unless it has the change `seq` already (none: not a change from the log); it is then as of `seq`. */
function mapPost(feed: Feed, postId: string, seq: number | undefined, update: (post: FeedPost) => FeedPost): Feed {
  let changed = false;
  const posts = feed.posts.map((post) => {
    if (post.id !== postId || (seq !== undefined && seq <= post.seq)) return post;
    const updated = update(post);
    if (updated === post) return post;
    changed = true;
    return seq === undefined ? updated : { ...updated, seq };
  });
  return changed ? { ...feed, posts } : feed;
}

function dedupe(posts: FeedPost[]): FeedPost[] {
  const seen = new Set<string>();
  return posts.filter((post) => !seen.has(post.id) && (seen.add(post.id), true));
}
