import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, UNAVAILABLE_MESSAGE, fetchPosts, type CreatedComment, type CreatedPost, type Post } from './api';
import { NOTHING_UNCONFIRMED, hasPendingComment, mergePosts, withUnconfirmed, type Unconfirmed } from './mergePosts';

/** Poll interval while a comment awaits moderation or just after a write: results show within about a second. */
export const FAST_POLL_MS = 1000;
/** Poll interval when nothing is expected to change soon: other people's posts still appear. */
export const SLOW_POLL_MS = 5000;
/** How many fast polls follow a write: enough for the read model to catch up with the new post. */
export const FAST_POLLS_AFTER_WRITE = 5;

export interface PostsState {
  posts: Post[];
  loaded: boolean;
  /** Why the posts could not be loaded; only until they were loaded once. */
  loadError: string | null;
  /** A poll failed after posts were shown: they stay as they were until a poll succeeds again. */
  reconnecting: boolean;
  addPost: (post: CreatedPost) => void;
  addComment: (comment: CreatedComment) => void;
}

/**
 * The list of posts, kept fresh by polling GET /posts (fast while anything is pending, slow otherwise,
 * not at all while the tab is hidden), with this tab's own writes shown before the read model has them.
 */
export function usePosts(): PostsState {
  const [posts, setPosts] = useState<Post[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [reconnecting, setReconnecting] = useState(false);
  const shownOnce = useRef(false);
  const serverPosts = useRef<Post[]>([]);
  const unconfirmed = useRef<Unconfirmed>(NOTHING_UNCONFIRMED);
  const anythingPending = useRef(false);
  const fastPollsLeft = useRef(0);
  const pollSoon = useRef<() => void>(() => {});

  const show = useCallback((merged: Post[]) => {
    anythingPending.current = hasPendingComment(merged);
    setPosts(merged);
  }, []);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let latestRequest = 0;
    const controller = new AbortController();

    function schedule(delay: number): void {
      clearTimeout(timer);
      timer = document.hidden ? undefined : setTimeout(poll, delay);
    }

    function nextDelay(): number {
      if (fastPollsLeft.current > 0) {
        fastPollsLeft.current -= 1;
        return FAST_POLL_MS;
      }
      return anythingPending.current ? FAST_POLL_MS : SLOW_POLL_MS;
    }

    async function poll(): Promise<void> {
      clearTimeout(timer);
      const request = ++latestRequest;
      try {
        const fromServer = await fetchPosts(controller.signal);
        if (stopped || request !== latestRequest) return; // a newer poll owns the schedule
        const merged = mergePosts(fromServer, unconfirmed.current);
        serverPosts.current = fromServer;
        unconfirmed.current = merged.unconfirmed;
        show(merged.posts);
        shownOnce.current = true;
        setLoadError(null);
        setReconnecting(false);
      } catch (error) {
        if (stopped || request !== latestRequest) return;
        // What the page shows is still the last good answer: better than nothing or an error in its place.
        if (shownOnce.current) setReconnecting(true);
        else setLoadError(error instanceof ApiError ? error.message : UNAVAILABLE_MESSAGE);
      }
      setLoaded(true);
      schedule(nextDelay());
    }

    function onVisibilityChange(): void {
      if (document.hidden) clearTimeout(timer);
      else void poll(); // catch up at once when the person comes back
    }

    pollSoon.current = () => {
      fastPollsLeft.current = FAST_POLLS_AFTER_WRITE;
      schedule(FAST_POLL_MS);
    };
    document.addEventListener('visibilitychange', onVisibilityChange);
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
      controller.abort();
      document.removeEventListener('visibilitychange', onVisibilityChange);
      pollSoon.current = () => {};
    };
  }, [show]);

  const addPost = useCallback(
    (post: CreatedPost) => {
      const current = unconfirmed.current;
      unconfirmed.current = { ...current, posts: [...current.posts, { ...post, comments: [] }] };
      show(withUnconfirmed(serverPosts.current, unconfirmed.current));
      pollSoon.current();
    },
    [show],
  );

  const addComment = useCallback(
    ({ postId, ...comment }: CreatedComment) => {
      const current = unconfirmed.current;
      unconfirmed.current = { ...current, comments: [...current.comments, { postId, comment }] };
      show(withUnconfirmed(serverPosts.current, unconfirmed.current));
      pollSoon.current();
    },
    [show],
  );

  return { posts, loaded, loadError, reconnecting, addPost, addComment };
}
