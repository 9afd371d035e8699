import type { Change, Comment, CommentsPage, CreatedComment, CreatedPost, PagePost, PostsPage } from './api';

/** A post as the page shows it: a contiguous run of its newest comments (in log order) out of `commentCount`. */
export interface FeedPost {
  id: string;
  title: string;
  commentCount: number;
  comments: Comment[];
  /** Where its comments older than those shown start; null when all are shown. */
  olderCursor: string | null;
}

/** What the page shows: the posts asked for so far, newest first, and where the next page starts. */
export interface Feed {
  posts: FeedPost[];
  next: string | null;
}

export const EMPTY_FEED: Feed = { posts: [], next: null };

const fromPagePost = ({ id, title, commentCount, comments, olderComments }: PagePost): FeedPost => ({
  id,
  title,
  commentCount,
  comments,
  olderCursor: olderComments,
});

export function feedFromPage(page: PostsPage): Feed {
  return { posts: dedupe(page.posts.map(fromPagePost)), next: page.next };
}

/** How many of a post's comments are not shown yet. */
export function olderCount(post: FeedPost): number {
  return post.olderCursor === null ? 0 : Math.max(0, post.commentCount - post.comments.length);
}

/** A new post goes first (it is the newest), unless it is shown already. */
export function addPost(feed: Feed, { id, title }: CreatedPost): Feed {
  if (feed.posts.some((post) => post.id === id)) return feed;
  return { ...feed, posts: [{ id, title, commentCount: 0, comments: [], olderCursor: null }, ...feed.posts] };
}

/** A new comment goes last on its post, if the post is shown and the comment is not (whatever its status there). */
export function addComment(feed: Feed, { postId, ...comment }: CreatedComment): Feed {
  return mapPost(feed, postId, (post) =>
    post.comments.some((known) => known.id === comment.id) ? post : { ...post, commentCount: post.commentCount + 1, comments: [...post.comments, comment] },
  );
}

/** A comment's new status (and content) where it is shown; nothing otherwise. */
export function updateComment(feed: Feed, { postId, ...comment }: CreatedComment): Feed {
  return mapPost(feed, postId, (post) =>
    post.comments.some((known) => known.id === comment.id)
      ? { ...post, comments: post.comments.map((known) => (known.id === comment.id ? comment : known)) }
      : post,
  );
}

/** One live change, by id: applying it twice, or to a page that already has it, changes nothing. */
export function applyChange(feed: Feed, change: Change): Feed {
  switch (change.event) {
    case 'post':
      return addPost(feed, change.data);
    case 'comment':
      return addComment(feed, change.data);
    case 'comment-status':
      return updateComment(feed, change.data);
  }
}

/**
 * The changes that came on the stream while `fresh` was being fetched, applied to it. The answer is the read
 * model at some seq that the changes do not tell, but it holds a prefix of the log: a change whose post or comment
 * it shows was in it, and so was every change before that one. The others after it were not (had one been in it,
 * unshown, newer ones that push it out of view would be shown and came later on the stream), so they are applied.
 * Status changes are applied in place whatever their seq: the last one is the current status.
 */
function replay(fresh: Feed, changes: Change[], withPosts: boolean): Feed {
  const postIds = new Set(fresh.posts.map((post) => post.id));
  const commentIds = new Set(fresh.posts.flatMap((post) => post.comments.map((comment) => comment.id)));
  let included = 0;
  for (const change of changes) {
    const shown = change.event === 'post' ? withPosts && postIds.has(change.data.id) : change.event === 'comment' && commentIds.has(change.data.id);
    if (shown) included = Math.max(included, change.seq);
  }
  return changes.reduce((feed, change) => {
    if (change.event === 'post' && !withPosts) return feed;
    if (change.event !== 'comment-status' && change.seq <= included) return feed;
    return applyChange(feed, change);
  }, fresh);
}

/** The first page, loaded (again) while `changes` came on the stream. */
export function firstPage(page: PostsPage, changes: Change[]): Feed {
  return replay(feedFromPage(page), changes, true);
}

/** The next page of posts after those shown; posts already shown are not shown twice. */
export function withMorePosts(feed: Feed, page: PostsPage, changes: Change[]): Feed {
  const shown = new Set(feed.posts.map((post) => post.id));
  // New posts are newer than any on an older page: only comments and statuses can concern them.
  const more = replay({ posts: dedupe(page.posts.map(fromPagePost)).filter((post) => !shown.has(post.id)), next: null }, changes, false);
  return { posts: [...feed.posts, ...more.posts], next: page.next };
}

/** A post's older comments, put before those shown. Newer comments came on the stream meanwhile; their statuses may have too. */
export function withOlderComments(feed: Feed, postId: string, page: CommentsPage, changes: Change[]): Feed {
  const withOlder = mapPost(feed, postId, (post) => {
    const shown = new Set(post.comments.map((comment) => comment.id));
    return { ...post, comments: [...page.comments.filter((comment) => !shown.has(comment.id)), ...post.comments], olderCursor: page.next };
  });
  const olderIds = new Set(page.comments.map((comment) => comment.id));
  return changes.reduce(
    (current, change) => (change.event === 'comment-status' && olderIds.has(change.data.id) ? updateComment(current, change.data) : current),
    withOlder,
  );
}

function mapPost(feed: Feed, postId: string, update: (post: FeedPost) => FeedPost): Feed {
  let changed = false;
  const posts = feed.posts.map((post) => {
    if (post.id !== postId) return post;
    const updated = update(post);
    changed ||= updated !== post;
    return updated;
  });
  return changed ? { ...feed, posts } : feed;
}

function dedupe(posts: FeedPost[]): FeedPost[] {
  const seen = new Set<string>();
  return posts.filter((post) => !seen.has(post.id) && (seen.add(post.id), true));
}
