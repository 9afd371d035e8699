/** The blog's public API, called through the ingress with relative URLs only. */

export type CommentStatus = 'pending' | 'approved' | 'rejected';

export interface Comment {
  id: string;
  content: string;
  status: CommentStatus;
}

export interface Post {
  id: string;
  title: string;
  comments: Comment[];
}

/** A post as a page shows it: its newest comments, how many it has in all, and where its older ones start. */
export interface PagePost {
  id: string;
  title: string;
  commentCount: number;
  /** The newest few, in log order. */
  comments: Comment[];
  /** A cursor for `fetchOlderComments`; null when `comments` are all of them. */
  olderComments: string | null;
}

export interface PostsPage {
  posts: PagePost[];
  /** A cursor for the next (older) page; null after the oldest post. */
  next: string | null;
  /** The last change the page has, as a live event id: it has every change up to it, and none after. */
  seq: number;
}

export interface CommentsPage {
  /** Older comments, in log order. */
  comments: Comment[];
  /** A cursor for the page before these; null at the post's first comment. */
  next: string | null;
  /** As a posts page's. */
  seq: number;
}

/** A change the read model applied, as `GET /posts/live` sends it, with its log seq (the event's id). */
export type Change = { seq: number; event: 'post'; data: CreatedPost } | { seq: number; event: 'comment' | 'comment-status'; data: CreatedComment };

export const LIVE_URL = '/posts/live';

export interface CreatedPost {
  id: string;
  title: string;
}

export interface CreatedComment extends Comment {
  postId: string;
}

export const UNAVAILABLE_MESSAGE = 'The service is unavailable right now. Please try again in a moment.';

/** A failed request, with a message meant for the person using the page. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Posts newest first, a page at a time: the first page without a cursor, then each `next`. */
export async function fetchPostsPage(cursor: string | null, signal?: AbortSignal): Promise<PostsPage> {
  const body = await request('GET', `/posts/page${cursor === null ? '' : `?cursor=${encodeURIComponent(cursor)}`}`, undefined, signal);
  if (!isRecord(body) || !Array.isArray(body.posts) || !isSeq(body.seq)) throw unexpectedAnswer();
  const posts: PagePost[] = [];
  for (const value of body.posts) {
    if (!isRecord(value) || typeof value.id !== 'string' || typeof value.title !== 'string') continue;
    const comments = commentsFromBody(value.comments);
    const commentCount = typeof value.commentCount === 'number' && value.commentCount >= comments.length ? value.commentCount : comments.length;
    const olderComments = typeof value.olderComments === 'string' ? value.olderComments : null;
    posts.push({ id: value.id, title: value.title, commentCount, comments, olderComments });
  }
  return { posts, next: cursorFromBody(body.next), seq: body.seq };
}

/** A post's comments older than `cursor` (a post's `olderComments`, then each `next`), in log order. */
export async function fetchOlderComments(postId: string, cursor: string, signal?: AbortSignal): Promise<CommentsPage> {
  const query = `post=${encodeURIComponent(postId)}&cursor=${encodeURIComponent(cursor)}`;
  const body = await request('GET', `/posts/comments/page?${query}`, undefined, signal);
  if (!isRecord(body) || !Array.isArray(body.comments) || !isSeq(body.seq)) throw unexpectedAnswer();
  return { comments: commentsFromBody(body.comments), next: cursorFromBody(body.next), seq: body.seq };
}

/** A live event as a Change; undefined for anything malformed (it is skipped, not fatal). */
export function changeFromEvent(event: string, lastEventId: string, data: string): Change | undefined {
  const seq = Number(lastEventId);
  if (lastEventId === '' || !Number.isSafeInteger(seq)) return undefined;
  const body = parseJson(data);
  if (!isRecord(body)) return undefined;
  if (event === 'post') {
    if (typeof body.id !== 'string' || typeof body.title !== 'string') return undefined;
    return { seq, event, data: { id: body.id, title: body.title } };
  }
  if (event === 'comment' || event === 'comment-status') {
    const comment = commentFromBody(body);
    if (!comment || typeof body.postId !== 'string') return undefined;
    return { seq, event, data: { ...comment, postId: body.postId } };
  }
  return undefined;
}

/**
 * A key for one write: sent again with every retry of the same text, so a write whose first
 * try failed unclearly (a 502 after the service stored it) is stored once. Made with
 * getRandomValues because randomUUID needs a secure context, and posts.com is plain http.
 */
export function newIdempotencyKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function createPost(title: string, idempotencyKey?: string): Promise<CreatedPost> {
  const body = await request('POST', '/posts/create', { title }, undefined, idempotencyKey);
  if (!isRecord(body) || typeof body.id !== 'string' || typeof body.title !== 'string') throw unexpectedAnswer();
  return { id: body.id, title: body.title };
}

export async function createComment(postId: string, content: string, idempotencyKey?: string): Promise<CreatedComment> {
  const body = await request('POST', `/posts/${encodeURIComponent(postId)}/comments`, { content }, undefined, idempotencyKey);
  const comment = commentFromBody(body);
  if (!comment) throw unexpectedAnswer();
  return { ...comment, postId };
}

/** Sends one request; any failure becomes an ApiError whose message the page can show as is. */
async function request(method: string, url: string, payload?: unknown, signal?: AbortSignal, idempotencyKey?: string): Promise<unknown> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (payload !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      signal,
      headers,
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(UNAVAILABLE_MESSAGE, null);
  }
  const body = parseJson(await response.text().catch(() => ''));
  if (response.status >= 500) throw new ApiError(UNAVAILABLE_MESSAGE, response.status);
  if (!response.ok) throw new ApiError(serverMessage(body) ?? fallbackMessage(response.status), response.status);
  return body;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // e.g. an HTML error page from a proxy: the status code still tells what happened
  }
}

function serverMessage(body: unknown): string | undefined {
  if (!isRecord(body) || !isRecord(body.error)) return undefined;
  const message = body.error.message;
  return typeof message === 'string' && message.trim() !== '' ? message : undefined;
}

function fallbackMessage(status: number): string {
  if (status === 404) return 'That post no longer exists. Reload the page to see the current posts.';
  if (status === 413) return 'That text is too long. Please shorten it and try again.';
  return 'The request was not accepted. Please check the text and try again.';
}

function unexpectedAnswer(): ApiError {
  return new ApiError(UNAVAILABLE_MESSAGE, null);
}

function commentsFromBody(value: unknown): Comment[] {
  return (Array.isArray(value) ? value : []).map(commentFromBody).filter((comment): comment is Comment => comment !== undefined);
}

function cursorFromBody(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function commentFromBody(value: unknown): Comment | undefined {
  if (!isRecord(value) || typeof value.id !== 'string' || typeof value.content !== 'string') return undefined;
  // A status this page does not know yet is shown as awaiting moderation rather than dropped.
  const status = value.status === 'approved' || value.status === 'rejected' ? value.status : 'pending';
  return { id: value.id, content: value.content, status };
}

function isSeq(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
