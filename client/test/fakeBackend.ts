import { text } from '@posts/kit';
import type { Change, Comment, CommentStatus, Post } from '../src/web/api';

type Answer = { status: number; body?: unknown } | 'network-error';

// The services' own rule for user text, so the page is tested against what they refuse.
const title = text(200);
const content = text(1000, { multiline: true });

/** How long a browser's EventSource waits before reconnecting by itself (Chromium's default). */
export const BROWSER_RECONNECT_MS = 3000;

interface FakeResponse {
  ok: boolean;
  status: number;
  text: () => Promise<string>;
}

interface Options {
  /** `GET /posts/page`'s default page size (the real one's is 10). */
  postsPerPage?: number;
  /** `GET /posts/comments/page`'s default page size (the real one's is 20). */
  commentsPerPage?: number;
  /** How many recent changes the stream can resume from; an older Last-Event-ID gets `reset`. */
  ringCapacity?: number;
}

/** How many of a post's newest comments a page of posts shows, as query's store. */
const LATEST_COMMENTS = 3;

interface StoredPost {
  id: string;
  title: string;
  seq: number;
  comments: (Comment & { seq: number })[];
}

/**
 * Stands in for the ingress and the services behind it: keeps posts in memory in log order (each post and comment
 * with its seq), answers the write calls and query's paged reads, streams changes to `FakeEventSource`s as
 * `GET /posts/live` does, and lets a test make the next call to a route fail or drop the stream.
 */
export function fakeBackend(initial: Post[] = [], { postsPerPage = 10, commentsPerPage = 20, ringCapacity = 10_000 }: Options = {}) {
  let seq = 0;
  const posts: StoredPost[] = [];
  const changes: Change[] = [];
  const failures = new Map<string, Answer[]>();
  const holds = new Map<string, Promise<void>[]>();
  const calls: { method: string; url: string; body: unknown; idempotencyKey?: string }[] = [];
  const sources = new Set<FakeEventSource>();
  const streamUrls: string[] = [];
  let nextId = 1;
  /** When false, writes are stored but neither the pages nor the stream show them yet, like a lagging read model. */
  let readModelCaughtUp = true;
  let liveDown = false;
  /** The seq the replica answering the pages is at (null: caught up), and the one serving the stream (null: caught up). */
  let pagesAt: number | null = null;
  let streamAt: number | null = null;
  const unseenWrites: (() => void)[] = [];
  const write = (apply: () => void) => (readModelCaughtUp ? apply() : unseenWrites.push(apply));

  function publish(change: Change): void {
    changes.push(change);
    for (const source of sources) source.pump();
  }

  function addPost(id: string, postTitle: string): void {
    const post = { id, title: postTitle, seq: ++seq, comments: [] };
    posts.push(post);
    publish({ seq: post.seq, event: 'post', data: { id, title: postTitle } });
  }

  function addComment(post: StoredPost, comment: Comment): void {
    const stored = { ...comment, seq: ++seq };
    post.comments.push(stored);
    publish({ seq: stored.seq, event: 'comment', data: { postId: post.id, ...comment } });
  }

  for (const post of initial) {
    addPost(post.id, post.title);
    for (const comment of post.comments) addComment(posts[posts.length - 1], comment);
  }

  /** A comment as it was at seq `at`: its last change up to it. */
  const plainAt =
    (at: number) =>
    ({ id }: Comment): Comment => {
      for (let i = changes.length - 1; ; i--) {
        const change = changes[i];
        if (change.seq <= at && change.event !== 'post' && change.data.id === id) return { id, content: change.data.content, status: change.data.status };
      }
    };
  /** Posts, and their comments, as they were at seq `at`. */
  const postsAt = (at: number) => posts.filter((post) => post.seq <= at).map((post) => ({ ...post, comments: post.comments.filter((c) => c.seq <= at) }));
  const cursorSeq = (kind: string, cursor: string | null): number => {
    if (cursor === null) return Infinity;
    const match = new RegExp(`^${kind}:([0-9]+)$`).exec(cursor);
    if (!match) throw new Error(`not a ${kind} cursor: ${cursor}`);
    return Number(match[1]);
  };

  const fetchMock = jest.fn(async (url: string, init: RequestInit = {}): Promise<FakeResponse> => {
    const method = init.method ?? 'GET';
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    calls.push({ method, url, body, idempotencyKey: (init.headers as Record<string, string> | undefined)?.['Idempotency-Key'] });
    const [urlPath, search = ''] = url.split('?');
    const query = new URLSearchParams(search);
    const hold = holds.get(`${method} ${urlPath}`)?.shift();
    if (hold) await hold;
    const failure = failures.get(`${method} ${urlPath}`)?.shift();
    if (failure === 'network-error') throw new TypeError('Failed to fetch');
    if (failure) return answer(failure.status, failure.body);

    if (method === 'GET' && urlPath === '/posts/page') {
      const at = pagesAt ?? seq;
      const plain = plainAt(at);
      const before = cursorSeq('post', query.get('cursor'));
      const older = postsAt(at).filter((post) => post.seq < before);
      const page = older.slice(-postsPerPage);
      return answer(200, {
        posts: page.reverse().map((post) => ({
          id: post.id,
          title: post.title,
          commentCount: post.comments.length,
          comments: post.comments.slice(-LATEST_COMMENTS).map(plain),
          olderComments: post.comments.length > LATEST_COMMENTS ? `comment:${post.comments[post.comments.length - LATEST_COMMENTS].seq}` : null,
        })),
        next: older.length > postsPerPage ? `post:${page[page.length - 1].seq}` : null,
        seq: at,
      });
    }
    if (method === 'GET' && urlPath === '/posts/comments/page') {
      const at = pagesAt ?? seq;
      const post = postsAt(at).find((candidate) => candidate.id === query.get('post'));
      if (!post) return answer(404, { error: { code: 'not_found', message: 'No such post' } });
      const older = post.comments.filter((comment) => comment.seq < cursorSeq('comment', query.get('cursor')));
      const page = older.slice(-commentsPerPage);
      return answer(200, { comments: page.map(plainAt(at)), next: older.length > commentsPerPage ? `comment:${page[0].seq}` : null, seq: at });
    }
    if (method === 'POST' && url === '/posts/create') {
      const parsed = title.safeParse(body.title);
      if (!parsed.success) return refusal('title', parsed.error);
      const id = `post-${nextId++}`;
      write(() => addPost(id, parsed.data));
      return answer(201, { id, title: parsed.data });
    }
    const commentRoute = /^\/posts\/([^/]+)\/comments$/.exec(url);
    if (method === 'POST' && commentRoute) {
      const post = posts.find((candidate) => candidate.id === decodeURIComponent(commentRoute[1]));
      if (!post) return answer(404, { error: { code: 'not_found', message: 'Post not found' } });
      const parsed = content.safeParse(body.content);
      if (!parsed.success) return refusal('content', parsed.error);
      const comment: Comment = { id: `comment-${nextId++}`, content: parsed.data, status: 'pending' };
      write(() => addComment(post, comment));
      return answer(201, { ...comment, postId: post.id });
    }
    return answer(404, { error: { code: 'not_found', message: 'No such route' } });
  });

  /** The browser's EventSource, as far as the page uses it, connected to this backend. */
  class FakeEventSource {
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSED = 2;
    readonly CONNECTING = 0;
    readonly OPEN = 1;
    readonly CLOSED = 2;
    readyState = 0;
    onerror: ((event: Event) => void) | null = null;
    /** The last event id had, sent again as Last-Event-ID on a reconnect. */
    lastEventId: string | undefined;
    private sent = 0;
    private listeners = new Map<string, ((event: MessageEvent) => void)[]>();
    private timer: ReturnType<typeof setTimeout> | undefined;

    constructor(readonly url: string) {
      streamUrls.push(url);
      const since = /[?&]since=([0-9]+)/.exec(url);
      this.lastEventId = since?.[1];
      this.timer = setTimeout(() => this.connect(), 0);
    }

    addEventListener(type: string, listener: (event: MessageEvent) => void): void {
      this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
    }

    close(): void {
      clearTimeout(this.timer);
      this.readyState = this.CLOSED;
      sources.delete(this);
    }

    /** The server's side: `start` or `reset`, then every change after where it starts. */
    private connect(): void {
      if (this.readyState === this.CLOSED) return;
      if (liveDown) {
        // An HTTP error (a 502 from the ingress): the browser gives up on this EventSource.
        this.readyState = this.CLOSED;
        this.onerror?.(new Event('error'));
        return;
      }
      this.readyState = this.OPEN;
      sources.add(this);
      const since = this.lastEventId === undefined ? (streamAt ?? seq) : Number(this.lastEventId);
      const oldest = changes.length > ringCapacity ? changes[changes.length - ringCapacity].seq : 0;
      if (since < oldest - 1) {
        this.sent = streamAt ?? seq;
        this.dispatch('reset', this.sent, { seq: this.sent });
      } else {
        this.sent = since;
        this.dispatch('start', since, { seq: since });
      }
      this.pump();
    }

    pump(): void {
      for (const change of changes) {
        if (this.readyState !== this.OPEN || change.seq > (streamAt ?? Infinity)) return;
        if (change.seq <= this.sent) continue;
        this.sent = change.seq;
        this.dispatch(change.event, change.seq, change.data);
      }
    }

    /** The connection broke: the browser reconnects by itself a moment later, with Last-Event-ID. */
    drop(): void {
      if (this.readyState !== this.OPEN) return;
      sources.delete(this);
      this.readyState = this.CONNECTING;
      this.onerror?.(new Event('error'));
      this.timer = setTimeout(() => this.connect(), BROWSER_RECONNECT_MS);
    }

    private dispatch(type: string, id: number, data: unknown): void {
      this.lastEventId = String(id);
      const event = { type, data: JSON.stringify(data), lastEventId: String(id) } as MessageEvent;
      for (const listener of this.listeners.get(type) ?? []) listener(event);
    }
  }

  return {
    fetch: fetchMock,
    EventSource: FakeEventSource,
    calls,
    /** The URL of every EventSource the page opened, in order. */
    streamUrls,
    /** The next answers to `method path` (without the query), in order, before normal service resumes. */
    failNext(route: string, ...answers: Answer[]) {
      failures.set(route, [...(failures.get(route) ?? []), ...answers]);
    },
    /** Holds the next request to `method path` unanswered (a slow send) until the returned function is called. */
    holdNext(route: string): () => void {
      let release!: () => void;
      holds.set(route, [...(holds.get(route) ?? []), new Promise<void>((resolve) => (release = resolve))]);
      return () => release();
    },
    setReadModelCaughtUp(caughtUp: boolean) {
      readModelCaughtUp = caughtUp;
      if (caughtUp) unseenWrites.splice(0).forEach((apply) => apply());
    },
    /**
     * Pages answered by a replica at `at`, behind the stream (or ahead of it, see `streamAt`): as the read model was
     * then, with that seq. Null: caught up again.
     */
    pagesAt(at: number | null) {
      pagesAt = at;
    },
    /** The stream served by a replica at `at`: it starts there and sends nothing after it. Null: it catches up, and sends the rest. */
    streamAt(at: number | null) {
      streamAt = at;
      if (at === null) for (const source of sources) source.pump();
    },
    /** Someone else's post, or comment, as the read model gets it. */
    post(postTitle: string): string {
      const id = `post-${nextId++}`;
      addPost(id, postTitle);
      return id;
    },
    comment(postId: string, text: string, status: CommentStatus = 'approved'): string {
      const post = posts.find((candidate) => candidate.id === postId);
      if (!post) throw new Error(`no post ${postId}`);
      const id = `comment-${nextId++}`;
      addComment(post, { id, content: text, status });
      return id;
    },
    moderate(commentId: string, status: CommentStatus) {
      for (const post of posts) {
        const comment = post.comments.find((candidate) => candidate.id === commentId);
        if (!comment) continue;
        comment.status = status;
        return publish({ seq: ++seq, event: 'comment-status', data: { postId: post.id, id: comment.id, content: comment.content, status } });
      }
      throw new Error(`no comment ${commentId}`);
    },
    /** Breaks every open stream (the browser reconnects after BROWSER_RECONNECT_MS); `down` refuses the reconnects too, with a 502. */
    dropStreams({ down = false } = {}) {
      liveDown = down;
      for (const source of [...sources]) source.drop();
    },
    setLiveDown(down: boolean) {
      liveDown = down;
    },
    /** Streams open now. */
    openStreams: () => sources.size,
    get seq() {
      return seq;
    },
    getCalls: (urlPath: string) => calls.filter((call) => call.method === 'GET' && call.url.split('?')[0] === urlPath),
  };
}

/** A 400 as the services answer one: the field's name, then what is wrong with it. */
function refusal(field: string, error: { issues: { message: string }[] }): FakeResponse {
  return answer(400, { error: { code: 'invalid_request', message: `${field}: ${error.issues[0].message}` } });
}

function answer(status: number, body: unknown): FakeResponse {
  return { ok: status >= 200 && status < 300, status, text: async () => (body === undefined ? '' : JSON.stringify(body)) };
}
