import { useCallback, useEffect, useRef, useState } from 'react';
import {
  ApiError,
  LIVE_URL,
  UNAVAILABLE_MESSAGE,
  changeFromEvent,
  fetchOlderComments,
  fetchPostsPage,
  type Change,
  type CreatedComment,
  type CreatedPost,
} from './api';
import { EMPTY_FEED, addComment as addCommentTo, addPost as addPostTo, applyChange, firstPage, withMorePosts, withOlderComments, type Feed } from './feed';

/** The first wait before opening the stream again after the server refused it (a 502 while query restarts), doubled up to MAX_RETRY_MS. */
export const RETRY_MS = 1000;
export const MAX_RETRY_MS = 8000;
/** How many of the stream's latest changes are kept, to apply on top of a page answer from a replica behind the stream. */
export const KEPT_CHANGES = 10_000;
/** A page answer older than the changes kept is asked for again (the replica that sent it catches up), at most this often, this long apart. */
export const LAG_TRIES = 10;
export const LAG_RETRY_MS = 200;

export interface FeedState {
  feed: Feed;
  loaded: boolean;
  /** Why the posts could not be loaded; only until they were loaded once. */
  loadError: string | null;
  /** The live stream is down after posts were shown: they stay as they were until it is back (and caught up). */
  reconnecting: boolean;
  addPost: (post: CreatedPost) => void;
  addComment: (comment: CreatedComment) => void;
  /** The next page of posts; rejects with an ApiError. */
  loadMorePosts: () => Promise<void>;
  /** A post's next page of older comments; rejects with an ApiError. */
  loadOlderComments: (postId: string) => Promise<void>;
}

/** What this tab wrote and the stream has not confirmed yet: put back on a reloaded first page, which may not have it yet. */
interface Unconfirmed {
  posts: CreatedPost[];
  comments: CreatedComment[];
}

/**
 * The page's posts: the first page of `GET /posts/page`, more on request, kept live by the `GET /posts/live` stream.
 * The stream is opened first and the page loaded once it has started, so no change falls between them. Each page
 * answer says the seq it is as of (another replica's than the stream's, maybe behind it or ahead): the stream's
 * changes after that seq are applied on top of it, from those kept or as they come, and those up to it are skipped
 * (each post remembers the seq it is as of). An answer older than the changes kept is asked for again. After a
 * dropped connection the stream resumes from the last event it had (the browser's Last-Event-ID, or `?since=` when
 * it has to be opened again); when the server can no longer resume it (`reset`), the first page is loaded again.
 */
export function useFeed(): FeedState {
  const [feed, setFeed] = useState<Feed>(EMPTY_FEED);
  const [loaded, setLoaded] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [reconnecting, setReconnecting] = useState(false);
  const current = useRef<Feed>(EMPTY_FEED);
  const unconfirmed = useRef<Unconfirmed>({ posts: [], comments: [] });
  /** The stream's latest changes: every one after `from` that came so far, in order. */
  const history = useRef<{ changes: Change[]; from: number }>({ changes: [], from: 0 });
  /** Bumped by each first page load: an older page's answer, or more posts after it, no longer fit. */
  const generation = useRef(0);

  const update = useCallback((change: (feed: Feed) => Feed) => {
    const next = change(current.current);
    if (next === current.current) return;
    current.current = next;
    setFeed(next);
  }, []);

  /** Runs a fetch, and hands its answer over with the stream's changes after its seq; one older than the changes kept is fetched again. */
  const withChanges = useCallback(async <T extends { seq: number }>(fetchIt: () => Promise<T>): Promise<{ answer: T; changes: Change[] }> => {
    for (let tries = 1; ; tries++) {
      const answer = await fetchIt();
      const { changes, from } = history.current;
      if (answer.seq >= from) return { answer, changes: changes.filter((change) => change.seq > answer.seq) };
      if (tries === LAG_TRIES) throw new ApiError(UNAVAILABLE_MESSAGE, null);
      await new Promise((resolve) => setTimeout(resolve, LAG_RETRY_MS));
    }
  }, []);

  useEffect(() => {
    let stopped = false;
    let source: EventSource | undefined;
    /** The seq of the last event had: where the stream resumes. */
    let lastSeq: number | undefined;
    let reopenTimer: ReturnType<typeof setTimeout> | undefined;
    let reloadTimer: ReturnType<typeof setTimeout> | undefined;
    let retryMs = RETRY_MS;
    let shownOnce = false;
    let loading = false;
    const controller = new AbortController();

    const nextRetry = () => {
      const delay = retryMs;
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      return delay;
    };

    function unavailable(message: string): void {
      // What the page shows is still the last good state: better than nothing or an error in its place.
      if (shownOnce) setReconnecting(true);
      else setLoadError(message);
      setLoaded(true);
    }

    async function loadFirstPage(): Promise<void> {
      clearTimeout(reloadTimer);
      const mine = ++generation.current;
      loading = true;
      try {
        const { answer, changes } = await withChanges(() => fetchPostsPage(null, controller.signal));
        if (stopped || mine !== generation.current) return;
        let fresh = firstPage(answer, changes);
        // What the page has is confirmed; the rest is put back (the read model may not have it yet).
        const shownPosts = new Set(fresh.posts.map((post) => post.id));
        const shownComments = new Set(fresh.posts.flatMap((post) => post.comments.map((comment) => comment.id)));
        const posts = unconfirmed.current.posts.filter((post) => !shownPosts.has(post.id));
        const comments = unconfirmed.current.comments.filter((comment) => !shownComments.has(comment.id));
        unconfirmed.current = { posts, comments };
        fresh = posts.reduce((feed, post) => addPostTo(feed, post), fresh);
        fresh = comments.reduce((feed, comment) => addCommentTo(feed, comment), fresh);
        current.current = fresh;
        setFeed(fresh);
        shownOnce = true;
        setLoadError(null);
        setLoaded(true);
        setReconnecting(source?.readyState !== EventSource.OPEN); // the stream broke off while the page was loading
      } catch (error) {
        if (stopped || mine !== generation.current) return;
        unavailable(error instanceof ApiError ? error.message : UNAVAILABLE_MESSAGE);
        reloadTimer = setTimeout(() => void loadFirstPage(), nextRetry());
      } finally {
        if (mine === generation.current) loading = false;
      }
    }

    function onChange(change: Change): void {
      const kept = history.current;
      kept.changes.push(change);
      if (kept.changes.length > KEPT_CHANGES) kept.from = kept.changes.splice(0, KEPT_CHANGES / 2).pop()!.seq;
      const { posts, comments } = unconfirmed.current;
      if (change.event !== 'comment-status' && [...posts, ...comments].some((own) => own.id === change.data.id)) {
        unconfirmed.current = { posts: posts.filter((own) => own.id !== change.data.id), comments: comments.filter((own) => own.id !== change.data.id) };
      }
      update((feed) => applyChange(feed, change));
    }

    /** The stream is open and sending: say so, and load the first page if it is not there yet. */
    function connected(): void {
      retryMs = RETRY_MS;
      if (shownOnce) setReconnecting(false);
      else if (!loading) void loadFirstPage();
    }

    function open(): void {
      clearTimeout(reopenTimer);
      if (stopped) return;
      // A new EventSource sends no Last-Event-ID: where to resume goes in the URL (the header wins on the browser's own reconnects).
      const stream = new EventSource(lastSeq === undefined ? LIVE_URL : `${LIVE_URL}?since=${lastSeq}`);
      source = stream;
      stream.addEventListener('start', (event) => {
        const startSeq = Number((event as MessageEvent).lastEventId) || 0;
        // A new stream has none of the changes before it: a page must be as of its start or later.
        if (lastSeq === undefined) history.current = { changes: [], from: startSeq };
        lastSeq = startSeq || lastSeq;
        connected();
      });
      stream.addEventListener('reset', (event) => {
        // The changes since our last one are gone from the server's memory: what is shown may have missed some.
        lastSeq = Number((event as MessageEvent).lastEventId) || undefined;
        history.current = { changes: [], from: lastSeq ?? 0 };
        retryMs = RETRY_MS;
        void loadFirstPage();
      });
      for (const name of ['post', 'comment', 'comment-status']) {
        stream.addEventListener(name, (event) => {
          const message = event as MessageEvent<string>;
          const change = changeFromEvent(name, message.lastEventId, message.data);
          if (!change) return;
          lastSeq = change.seq;
          if (shownOnce) setReconnecting(false);
          onChange(change);
        });
      }
      stream.onerror = () => {
        if (stopped || source !== stream) return;
        unavailable(UNAVAILABLE_MESSAGE);
        // CONNECTING: the browser reconnects by itself, with Last-Event-ID. CLOSED: it gave up (an HTTP error such as a 502).
        if (stream.readyState === EventSource.CLOSED) reopenTimer = setTimeout(open, nextRetry());
      };
    }

    open();
    return () => {
      stopped = true;
      clearTimeout(reopenTimer);
      clearTimeout(reloadTimer);
      controller.abort();
      source?.close();
      generation.current++;
    };
  }, [update, withChanges]);

  const addPost = useCallback(
    (post: CreatedPost) => {
      unconfirmed.current = { ...unconfirmed.current, posts: [...unconfirmed.current.posts, post] };
      update((feed) => addPostTo(feed, post));
    },
    [update],
  );

  const addComment = useCallback(
    (comment: CreatedComment) => {
      unconfirmed.current = { ...unconfirmed.current, comments: [...unconfirmed.current.comments, comment] };
      update((feed) => addCommentTo(feed, comment));
    },
    [update],
  );

  const loadMorePosts = useCallback(async () => {
    const cursor = current.current.next;
    if (cursor === null) return;
    const mine = generation.current;
    const { answer, changes } = await withChanges(() => fetchPostsPage(cursor));
    // A first page loaded again meanwhile has its own next page.
    if (mine === generation.current && current.current.next === cursor) update((feed) => withMorePosts(feed, answer, changes));
  }, [update, withChanges]);

  const loadOlderComments = useCallback(
    async (postId: string) => {
      const cursor = current.current.posts.find((post) => post.id === postId)?.olderCursor;
      if (!cursor) return;
      const mine = generation.current;
      const { answer, changes } = await withChanges(() => fetchOlderComments(postId, cursor));
      const post = current.current.posts.find((candidate) => candidate.id === postId);
      if (mine === generation.current && post?.olderCursor === cursor) update((feed) => withOlderComments(feed, postId, answer, changes));
    },
    [update, withChanges],
  );

  return { feed, loaded, loadError, reconnecting, addPost, addComment, loadMorePosts, loadOlderComments };
}
