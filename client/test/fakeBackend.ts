import { text } from '@posts/kit';
import type { Comment, Post } from '../src/web/api';

type Answer = { status: number; body?: unknown } | 'network-error';

// The services' own rule for user text, so the page is tested against what they refuse.
const title = text(200);
const content = text(1000, { multiline: true });

interface FakeResponse {
  ok: boolean;
  status: number;
  text: () => Promise<string>;
}

/**
 * Stands in for the ingress and the services behind it: keeps posts in memory,
 * answers the three API calls, and lets a test make the next call to a route fail.
 */
export function fakeBackend(initial: Post[] = []) {
  const posts: Post[] = JSON.parse(JSON.stringify(initial));
  const failures = new Map<string, Answer[]>();
  const calls: { method: string; url: string; body: unknown; idempotencyKey?: string }[] = [];
  let nextId = 1;
  /** When false, writes are stored but GET /posts does not show them yet, like a lagging read model. */
  let readModelCaughtUp = true;
  const unseenWrites: (() => void)[] = [];
  const write = (apply: () => void) => (readModelCaughtUp ? apply() : unseenWrites.push(apply));

  const fetchMock = jest.fn(async (url: string, init: RequestInit = {}): Promise<FakeResponse> => {
    const method = init.method ?? 'GET';
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    calls.push({ method, url, body, idempotencyKey: (init.headers as Record<string, string> | undefined)?.['Idempotency-Key'] });
    const failure = failures.get(`${method} ${url}`)?.shift();
    if (failure === 'network-error') throw new TypeError('Failed to fetch');
    if (failure) return answer(failure.status, failure.body);

    if (method === 'GET' && url === '/posts') {
      return answer(200, Object.fromEntries(posts.map((post) => [post.id, post])));
    }
    if (method === 'POST' && url === '/posts/create') {
      const parsed = title.safeParse(body.title);
      if (!parsed.success) return refusal('title', parsed.error);
      const post: Post = { id: `post-${nextId++}`, title: parsed.data, comments: [] };
      write(() => posts.push(post));
      return answer(201, { id: post.id, title: post.title });
    }
    const commentRoute = /^\/posts\/([^/]+)\/comments$/.exec(url);
    if (method === 'POST' && commentRoute) {
      const post = posts.find((candidate) => candidate.id === decodeURIComponent(commentRoute[1]));
      if (!post) return answer(404, { error: { code: 'not_found', message: 'Post not found' } });
      const parsed = content.safeParse(body.content);
      if (!parsed.success) return refusal('content', parsed.error);
      const comment: Comment = { id: `comment-${nextId++}`, content: parsed.data, status: 'pending' };
      write(() => post.comments.push(comment));
      return answer(201, { ...comment, postId: post.id });
    }
    return answer(404, { error: { code: 'not_found', message: 'No such route' } });
  });

  return {
    fetch: fetchMock,
    calls,
    /** The next answers to `method url`, in order, before normal service resumes. */
    failNext(route: string, ...answers: Answer[]) {
      failures.set(route, [...(failures.get(route) ?? []), ...answers]);
    },
    setReadModelCaughtUp(caughtUp: boolean) {
      readModelCaughtUp = caughtUp;
      if (caughtUp) unseenWrites.splice(0).forEach((apply) => apply());
    },
    moderate(commentId: string, status: Comment['status']) {
      const comment = posts.flatMap((post) => post.comments).find((candidate) => candidate.id === commentId);
      if (!comment) throw new Error(`no comment ${commentId}`);
      comment.status = status;
    },
    getPostsCalls: () => calls.filter((call) => call.method === 'GET' && call.url === '/posts').length,
  };
}

/** A 400 as the services answer one: the field's name, then what is wrong with it. */
function refusal(field: string, error: { issues: { message: string }[] }): FakeResponse {
  return answer(400, { error: { code: 'invalid_request', message: `${field}: ${error.issues[0].message}` } });
}

function answer(status: number, body: unknown): FakeResponse {
  return { ok: status >= 200 && status < 300, status, text: async () => (body === undefined ? '' : JSON.stringify(body)) };
}
