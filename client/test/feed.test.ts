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

const post = (feed: Feed, postId: string) => feed.posts.find((candidate) => candidate.id === postId)!;
const ids = (feed: Feed) => feed.posts.map((post) => post.id);
const commentIds = (feed: Feed, postId: string) => feed.posts.find((post) => post.id === postId)!.comments.map((c) => c.id);
const count = (feed: Feed, postId: string) => feed.posts.find((post) => post.id === postId)!.commentCount;

describe('live changes', () => {
  const page: PostsPage = { posts: [pagePost('b', [comment('b1')]), pagePost('a')], next: null, seq: 4 };

  it('puts a new post first and appends a new comment, counting it', () => {
    let feed = applyChange(feedFromPage(page), postChange(10, 'c'));
    feed = applyChange(feed, commentChange(11, 'a', 'a1'));
    expect(ids(feed)).toEqual(['c', 'b', 'a']);
    expect(commentIds(feed, 'a')).toEqual(['a1']);
    expect(count(feed, 'a')).toBe(1);
  });

  it('is idempotent: a change applied twice, or to what is already shown, changes nothing', () => {
    const feed = feedFromPage(page);
    for (const change of [postChange(3, 'b'), commentChange(4, 'b', 'b1'), postChange(5, 'b'), commentChange(6, 'b', 'b1')]) {
      expect(applyChange(feed, change)).toBe(feed);
    }
    const once = applyChange(feed, commentChange(7, 'b', 'b2'));
    expect(applyChange(once, commentChange(7, 'b', 'b2'))).toBe(once);
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

  it("gives this tab's own post every change for it, and keeps its comment until the stream has it", () => {
    let feed = addPost(feedFromPage(page), { id: 'mine', title: 'title of mine' });
    feed = addComment(feed, { postId: 'mine', ...comment('m1') });
    feed = applyChange(feed, postChange(5, 'mine'));
    feed = applyChange(feed, commentChange(6, 'mine', 'm1'));
    feed = applyChange(feed, commentChange(7, 'mine', 'm2'));
    expect(ids(feed)).toEqual(['mine', 'b', 'a']);
    expect(commentIds(feed, 'mine')).toEqual(['m1', 'm2']);
    expect(count(feed, 'mine')).toBe(2);
  });
});

describe('a page and the stream, by the seq the page is as of', () => {
  it('applies the changes after its seq on top, and skips those up to it', () => {
    // The page is as of seq 12: it has post p (11) and comment p3 (12), and p1, p2 among p's hidden comments.
    const page: PostsPage = { posts: [pagePost('p', [comment('p3')], 3, 'older'), pagePost('old')], next: null, seq: 12 };
    const changes = [commentChange(10, 'p', 'p2'), postChange(11, 'p'), commentChange(12, 'p', 'p3'), postChange(13, 'q'), commentChange(14, 'p', 'p4')];
    const feed = firstPage(page, changes);
    expect(ids(feed)).toEqual(['q', 'p', 'old']);
    expect(commentIds(feed, 'p')).toEqual(['p3', 'p4']);
    expect(count(feed, 'p')).toBe(4);
    expect(olderCount(post(feed, 'p'))).toBe(2);
  });

  it('behind the stream (a lagging replica): the changes the stream had after its seq go on top, each counted once', () => {
    // The stream had 6 to 8 already; the page is as of 5.
    const page: PostsPage = { posts: [pagePost('p', [comment('p1')])], next: null, seq: 5 };
    const had = [commentChange(6, 'p', 'p2'), postChange(7, 'q'), commentChange(8, 'p', 'p1', 'comment-status', 'rejected')];
    let feed = firstPage(page, had);
    expect(ids(feed)).toEqual(['q', 'p']);
    expect(post(feed, 'p').comments).toEqual([comment('p1', 'rejected'), comment('p2')]);
    expect(count(feed, 'p')).toBe(2);
    feed = applyChange(feed, commentChange(9, 'p', 'p3'));
    expect(count(feed, 'p')).toBe(3);
  });

  it('ahead of the stream: the changes up to its seq that come later are skipped, those after it applied', () => {
    // As of 20: p's comments c1 (15) and c2 (18) are hidden behind its newest three, post x (19) is older than the page shows.
    const page: PostsPage = { posts: [pagePost('p', [comment('c3'), comment('c4'), comment('c5')], 5, 'older')], next: 'more', seq: 20 };
    const feed = firstPage(page, []);
    for (const late of [
      commentChange(18, 'p', 'c2'),
      postChange(19, 'x'),
      commentChange(20, 'p', 'c5'),
      commentChange(17, 'p', 'c3', 'comment-status', 'pending'),
    ]) {
      expect(applyChange(feed, late)).toBe(feed);
    }
    const after = applyChange(applyChange(feed, commentChange(21, 'p', 'c6')), postChange(22, 'y'));
    expect(ids(after)).toEqual(['y', 'p']);
    expect(count(after, 'p')).toBe(6);
    expect(commentIds(after, 'p')).toEqual(['c3', 'c4', 'c5', 'c6']);
  });

  it('applies all of them to a page read before any of them', () => {
    const page: PostsPage = { posts: [pagePost('p')], next: 'cursor', seq: 4 };
    const feed = firstPage(page, [postChange(5, 'q'), commentChange(6, 'p', 'p1'), commentChange(7, 'q', 'q1')]);
    expect(ids(feed)).toEqual(['q', 'p']);
    expect(commentIds(feed, 'p')).toEqual(['p1']);
    expect(commentIds(feed, 'q')).toEqual(['q1']);
    expect(feed.next).toBe('cursor');
  });
});

describe('more posts', () => {
  it('appends the next page without posts already shown, with the comments after its seq', () => {
    const feed = feedFromPage({ posts: [pagePost('c'), pagePost('b')], next: 'c1', seq: 19 });
    const more: PostsPage = { posts: [pagePost('b'), pagePost('a', [comment('a1')])], next: null, seq: 21 };
    const after = withMorePosts(feed, more, [postChange(20, 'new'), commentChange(21, 'a', 'a1'), commentChange(22, 'a', 'a2')]);
    expect(ids(after)).toEqual(['c', 'b', 'a']); // the new post is the stream's to show, not this page's
    expect(commentIds(after, 'a')).toEqual(['a1', 'a2']);
    expect(count(after, 'a')).toBe(2);
    expect(after.next).toBeNull();
  });

  it('from a replica behind the stream: what the stream had after its seq goes on its posts, and not again on those shown', () => {
    // The stream brought a1 (a was not shown) and c1 (counted on c) before the page, which is as of 25.
    let feed = feedFromPage({ posts: [pagePost('c')], next: 'c1', seq: 25 });
    const had = [commentChange(26, 'a', 'a1'), commentChange(27, 'c', 'c1')];
    feed = had.reduce(applyChange, feed);
    const after = withMorePosts(feed, { posts: [pagePost('a')], next: null, seq: 25 }, had);
    expect(commentIds(after, 'a')).toEqual(['a1']);
    expect([count(after, 'a'), count(after, 'c')]).toEqual([1, 1]);
  });

  it('from a replica ahead of the stream: its posts skip the changes they have, those shown before still take them', () => {
    const feed = feedFromPage({ posts: [pagePost('c')], next: 'c1', seq: 30 });
    let after = withMorePosts(feed, { posts: [pagePost('a', [comment('a1')])], next: null, seq: 40 }, []);
    after = [commentChange(35, 'a', 'a0'), commentChange(36, 'c', 'c1'), commentChange(41, 'a', 'a2')].reduce(applyChange, after);
    expect(commentIds(after, 'a')).toEqual(['a1', 'a2']);
    expect([count(after, 'a'), count(after, 'c')]).toEqual([2, 1]);
  });
});

describe('older comments', () => {
  it('puts them before those shown, once each, and applies the statuses after its seq', () => {
    const feed = feedFromPage({ posts: [pagePost('p', [comment('p3'), comment('p4')], 4, 'older')], next: null, seq: 20 });
    const older = { comments: [comment('p1', 'rejected'), comment('p2'), comment('p3')], next: null, seq: 30 };
    const after = withOlderComments(feed, 'p', older, [
      commentChange(29, 'p', 'p1', 'comment-status', 'approved'), // the page has a newer one
      commentChange(31, 'p', 'p2', 'comment-status', 'approved'),
    ]);
    expect(commentIds(after, 'p')).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(after.posts[0].comments.map((c) => c.status)).toEqual(['rejected', 'approved', 'pending', 'pending']);
    expect(olderCount(after.posts[0])).toBe(0);
    expect(after.posts[0].olderCursor).toBeNull();
  });

  it('from a replica ahead of the stream, or behind the post: takes the status changes the stream brings after its seq', () => {
    // The post is as of 20, the stream still at 10; the older comments are as of 15.
    const feed = feedFromPage({ posts: [pagePost('p', [comment('p2'), comment('p3'), comment('p4')], 4, 'older')], next: null, seq: 20 });
    let after = withOlderComments(feed, 'p', { comments: [comment('p1')], next: null, seq: 15 }, []);
    after = [commentChange(16, 'p', 'p4'), commentChange(18, 'p', 'p1', 'comment-status', 'approved')].reduce(applyChange, after);
    expect(commentIds(after, 'p')).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(after.posts[0].comments[0].status).toBe('approved');
    expect(count(after, 'p')).toBe(4);
  });

  it('leaves a feed without that post as it is', () => {
    expect(withOlderComments(EMPTY_FEED, 'p', { comments: [comment('p1')], next: null, seq: 1 }, []).posts).toEqual([]);
  });
});
