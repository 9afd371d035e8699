import type { CommentStatus } from '@posts/contracts';
import type { Change } from './live';

export interface CommentView {
  id: string;
  content: string;
  status: CommentStatus;
}

export interface PostView {
  id: string;
  title: string;
  comments: CommentView[];
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

/** A page of anything kept in log order: the seq to read the next (older) page before, null at the start of the log. */
export interface Page<T> {
  items: T[];
  nextBefore: number | null;
}

/** How many of a post's newest comments a page of posts shows. */
export const LATEST_COMMENTS = 3;
/** Comments per chunk of the streamed `GET /posts`: a post with many comments still goes out in small pieces. */
const COMMENTS_PER_CHUNK = 100;

/** A comment as kept: its view and its post's id (the post's own string, shared by all its comments), in one object of one shape. */
interface StoredComment extends CommentView {
  postId: string;
}

interface PostEntry {
  id: string;
  title: string;
  /** Its comments in log order. */
  comments: StoredComment[];
  /** The log seq of each of `comments`, in the same order: sorted, since events are applied in seq order. */
  commentSeqs: number[];
}

/** What a reader gets of a stored comment: a copy of its view, made only for the comments of a page. */
const viewOf = ({ id, content, status }: StoredComment): CommentView => ({ id, content, status });

/**
 * The read model: every post with its comments, oldest first, built only from events. Posts and
 * comments are kept in log order beside their seqs, so a page is a binary search and a slice.
 * Each change it applies goes to `onChange` (the live stream), and nothing it ignores does.
 * A comment costs what it needs: one object (id, content, status, and its post's shared id), a place
 * in the map by id, and two slots in its post's lists.
 */
export function createStore(onChange: (change: Change) => void = () => {}) {
  const postsById = new Map<string, PostEntry>();
  const commentsById = new Map<string, StoredComment>();
  const posts: PostEntry[] = [];
  const postSeqs: number[] = [];
  /** The seq of the last change applied (the last live event's id); 0 before the first. It also names the model's version. */
  let lastSeq = 0;

  return {
    /** `seq` is the event's log seq: events come in seq order, so every list here stays sorted by it. */
    addPost(id: string, title: string, seq: number) {
      if (postsById.has(id)) return;
      const entry: PostEntry = { id, title, comments: [], commentSeqs: [] };
      postsById.set(id, entry);
      posts.push(entry);
      postSeqs.push(seq);
      lastSeq = seq;
      onChange({ seq, event: 'post', data: { id, title } });
    },
    addComment(postId: string, comment: CommentView, seq: number) {
      const post = postsById.get(postId);
      if (!post || commentsById.has(comment.id)) return;
      const stored: StoredComment = { id: comment.id, content: comment.content, status: comment.status, postId: post.id };
      post.comments.push(stored);
      post.commentSeqs.push(seq);
      commentsById.set(stored.id, stored);
      lastSeq = seq;
      onChange({ seq, event: 'comment', data: { postId: stored.postId, id: stored.id, content: stored.content, status: stored.status } });
    },
    updateComment(id: string, content: string, status: CommentStatus, seq: number) {
      const known = commentsById.get(id);
      if (!known) return;
      known.content = content;
      known.status = status;
      lastSeq = seq;
      onChange({ seq, event: 'comment-status', data: { postId: known.postId, id, content, status } });
    },
    /** The seq of the last change applied: a page taken now has every change up to it, and none after. */
    get seq(): number {
      return lastSeq;
    },
    /** Changes whenever the read model does: the seq of its last change, the same on every replica. */
    etag(): string {
      return `W/"${lastSeq}"`;
    },
    /**
     * `{ [postId]: {id, title, comments} }` as JSON text, a post (or a run of its comments) per chunk,
     * made only as the reader takes them. It holds the posts and comments there are now: whatever
     * arrives while it is read is left to the next version (updates to comments in it still show).
     */
    jsonChunks(): Iterable<string> {
      const postCount = posts.length;
      const upToSeq = lastSeq;
      return (function* () {
        for (let i = 0; i < postCount; i++) {
          const { id, title, comments, commentSeqs } = posts[i];
          const commentCount = countBelow(commentSeqs, upToSeq + 1);
          yield `${i === 0 ? '{' : ','}${JSON.stringify(id)}:{"id":${JSON.stringify(id)},"title":${JSON.stringify(title)},"comments":[`;
          for (let from = 0; from < commentCount; from += COMMENTS_PER_CHUNK) {
            const run = comments.slice(from, Math.min(from + COMMENTS_PER_CHUNK, commentCount));
            yield (from === 0 ? '' : ',') + run.map((c) => JSON.stringify(viewOf(c))).join(',');
          }
          yield ']}';
        }
        yield postCount === 0 ? '{}' : '}';
      })();
    },
    /** Up to `limit` posts older than seq `before` (all when absent), newest first, each with its newest comments. */
    postsPage(limit: number, before = Infinity): Page<PostSummary> {
      const end = countBelow(postSeqs, before);
      const start = Math.max(0, end - limit);
      const items = posts.slice(start, end).reverse().map(summarize);
      return { items, nextBefore: start > 0 ? postSeqs[start] : null };
    },
    /** Up to `limit` of a post's comments older than seq `before` (the newest when absent), in log order; undefined for an unknown post. */
    commentsPage(postId: string, limit: number, before = Infinity): Page<CommentView> | undefined {
      const post = postsById.get(postId);
      if (!post) return undefined;
      const end = countBelow(post.commentSeqs, before);
      const start = Math.max(0, end - limit);
      return { items: post.comments.slice(start, end).map(viewOf), nextBefore: start > 0 ? post.commentSeqs[start] : null };
    },
  };
}

function summarize({ id, title, comments, commentSeqs }: PostEntry): PostSummary {
  const start = Math.max(0, comments.length - LATEST_COMMENTS);
  return {
    id,
    title,
    commentCount: comments.length,
    comments: comments.slice(start).map(viewOf),
    olderBefore: start > 0 ? commentSeqs[start] : null,
  };
}

/** How many of the sorted `seqs` are below `seq`: a binary search, so a page costs O(log n) to find. */
function countBelow(seqs: number[], seq: number): number {
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (seqs[mid] < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export type Store = ReturnType<typeof createStore>;
