import type { Change, Comment, PagePost, PostsPage } from '../src/web/api';
import {
  EMPTY_FEED,
  addComment,
  addPost,
  applyChange,
  feedFromPage,
  firstPage,
  olderCount,
  withMorePosts,
  withOlderComments,
  type Feed,
} from '../src/web/feed';

const comment = (id: string, status: Comment['status'] = 'pending'): Comment => ({ id, content: `text of ${id}`, status });
const pagePost = (id: string, comments: Comment[] = [], commentCount = comments.length, olderComments: string | null = null): PagePost => ({
  id,
  title: `title of ${id}`,
  commentCount,
  comments,
  olderComments,
});
const postChange = (seq: number, id: string): Change => ({ seq, event: 'post', data: { id, title: `title of ${id}` } });
const commentChange = (
  seq: number,
  postId: string,
  id: string,
  event: 'comment' | 'comment-status' = 'comment',
  status: Comment['status'] = 'pending',
): Change => ({
  seq,
  event,
  data: { postId, ...comment(id, status) },
});

const ids = (feed: Feed) => feed.posts.map((post) => post.id);
const commentIds = (feed: Feed, postId: string) => feed.posts.find((post) => post.id === postId)!.comments.map((c) => c.id);
const count = (feed: Feed, postId: string) => feed.posts.find((post) => post.id === postId)!.commentCount;

describe('live changes', () => {
  const page: PostsPage = { posts: [pagePost('b', [comment('b1')]), pagePost('a')], next: null };

  it('puts a new post first and appends a new comment, counting it', () => {
    let feed = applyChange(feedFromPage(page), postChange(10, 'c'));
    feed = applyChange(feed, commentChange(11, 'a', 'a1'));
    expect(ids(feed)).toEqual(['c', 'b', 'a']);
    expect(commentIds(feed, 'a')).toEqual(['a1']);
    expect(count(feed, 'a')).toBe(1);
  });

  it('is idempotent: a change applied twice, or to what is already shown, changes nothing', () => {
    const feed = feedFromPage(page);
    for (const change of [postChange(3, 'b'), commentChange(4, 'b', 'b1')]) expect(applyChange(feed, change)).toBe(feed);
    const once = applyChange(feed, commentChange(5, 'b', 'b2'));
    expect(applyChange(once, commentChange(5, 'b', 'b2'))).toBe(once);
    expect(addComment(once, { postId: 'b', ...comment('b2') })).toBe(once);
    expect(addPost(once, { id: 'a', title: 'x' })).toBe(once);
  });

  it('ignores comments and statuses for posts and comments not shown', () => {
    const feed = feedFromPage(page);
    expect(applyChange(feed, commentChange(9, 'elsewhere', 'x1'))).toBe(feed);
    expect(applyChange(feed, commentChange(9, 'b', 'unseen', 'comment-status', 'approved'))).toBe(feed);
  });

  it('updates a status in place, and never takes it back to pending with a late POST answer', () => {
    let feed = applyChange(feedFromPage(page), commentChange(9, 'b', 'b1', 'comment-status', 'approved'));
    feed = addComment(feed, { postId: 'b', ...comment('b1', 'pending') });
    expect(feed.posts[0].comments).toEqual([comment('b1', 'approved')]);
    expect(count(feed, 'b')).toBe(1);
  });
});

describe('changes that came while the first page was loading', () => {
  it('skips those the page has (and every one before them), and applies those after', () => {
    // The page was read after seq 12: it has post p (11) and comment p3 (12), and p1, p2 among p's hidden comments.
    const page: PostsPage = { posts: [pagePost('p', [comment('p3')], 3, 'older'), pagePost('old')], next: null };
    const changes = [commentChange(10, 'p', 'p2'), postChange(11, 'p'), commentChange(12, 'p', 'p3'), postChange(13, 'q'), commentChange(14, 'p', 'p4')];
    const feed = firstPage(page, changes);
    expect(ids(feed)).toEqual(['q', 'p', 'old']);
    expect(commentIds(feed, 'p')).toEqual(['p3', 'p4']);
    expect(count(feed, 'p')).toBe(4);
    expect(olderCount(feed.posts[1])).toBe(2);
  });

  it('applies statuses whatever their place', () => {
    const page: PostsPage = { posts: [pagePost('p', [comment('p1'), comment('p2')])], next: null };
    const feed = firstPage(page, [commentChange(10, 'p', 'p1', 'comment-status', 'rejected'), commentChange(11, 'p', 'p2')]);
    expect(feed.posts[0].comments.map((c) => c.status)).toEqual(['rejected', 'pending']);
    expect(count(feed, 'p')).toBe(2);
  });

  it('applies all of them to a page read before any of them', () => {
    const page: PostsPage = { posts: [pagePost('p')], next: 'cursor' };
    const feed = firstPage(page, [postChange(5, 'q'), commentChange(6, 'p', 'p1'), commentChange(7, 'q', 'q1')]);
    expect(ids(feed)).toEqual(['q', 'p']);
    expect(commentIds(feed, 'p')).toEqual(['p1']);
    expect(commentIds(feed, 'q')).toEqual(['q1']);
    expect(feed.next).toBe('cursor');
  });
});

describe('more posts', () => {
  it('appends the next page without posts already shown, with the comments that came meanwhile', () => {
    const feed = feedFromPage({ posts: [pagePost('c'), pagePost('b')], next: 'c1' });
    const more: PostsPage = { posts: [pagePost('b'), pagePost('a', [comment('a1')])], next: null };
    const after = withMorePosts(feed, more, [postChange(20, 'new'), commentChange(21, 'a', 'a1'), commentChange(22, 'a', 'a2')]);
    expect(ids(after)).toEqual(['c', 'b', 'a']); // the new post is the stream's to show, not this page's
    expect(commentIds(after, 'a')).toEqual(['a1', 'a2']);
    expect(after.next).toBeNull();
  });
});

describe('older comments', () => {
  it('puts them before those shown, once each, and applies statuses that came meanwhile', () => {
    const feed = feedFromPage({ posts: [pagePost('p', [comment('p3'), comment('p4')], 4, 'older')], next: null });
    const older = { comments: [comment('p1'), comment('p2'), comment('p3')], next: null };
    const after = withOlderComments(feed, 'p', older, [
      commentChange(30, 'p', 'p1', 'comment-status', 'approved'),
      commentChange(31, 'q', 'p2', 'comment-status'),
    ]);
    expect(commentIds(after, 'p')).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(after.posts[0].comments[0].status).toBe('approved');
    expect(olderCount(after.posts[0])).toBe(0);
    expect(after.posts[0].olderCursor).toBeNull();
  });

  it('leaves a feed without that post as it is', () => {
    expect(withOlderComments(EMPTY_FEED, 'p', { comments: [comment('p1')], next: null }, []).posts).toEqual([]);
  });
});
