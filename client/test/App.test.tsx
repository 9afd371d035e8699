import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { App } from '../src/web/App';
import { UNAVAILABLE_MESSAGE, type Post } from '../src/web/api';
import { FAST_POLL_MS, SLOW_POLL_MS } from '../src/web/usePosts';
import { fakeBackend } from './fakeBackend';

const PENDING = 'This comment is awaiting moderation';
const REJECTED = 'This comment has been rejected';

const firstPost: Post = {
  id: 'p1',
  title: 'First post',
  comments: [
    { id: 'c1', content: 'Nice one', status: 'approved' },
    { id: 'c2', content: 'Hidden until moderated', status: 'pending' },
    { id: 'c3', content: 'I like orange', status: 'rejected' },
  ],
};
const quietPost: Post = { id: 'p2', title: 'Quiet post', comments: [] };

let backend: ReturnType<typeof fakeBackend>;

/** Renders the app against the fake backend and waits for the first GET /posts to land. */
async function renderApp(posts: Post[]) {
  backend = fakeBackend(posts);
  globalThis.fetch = backend.fetch as unknown as typeof fetch;
  const user = userEvent.setup({ advanceTimers: jest.advanceTimersByTime });
  render(<App />);
  await screen.findByRole('heading', { name: 'Posts' });
  await act(async () => {}); // let the first poll's answer render
  return user;
}

/** Moves the fake clock and lets the polls it triggers finish. */
async function advance(ms: number) {
  await act(async () => {
    await jest.advanceTimersByTimeAsync(ms);
  });
}

function article(title: string): HTMLElement {
  return screen.getByRole('article', { name: title });
}

function setHidden(hidden: boolean) {
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
  document.dispatchEvent(new Event('visibilitychange'));
}

beforeEach(() => {
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
});

describe('the list of posts', () => {
  it('shows approved content, and fixed texts for pending and rejected comments', async () => {
    await renderApp([firstPost]);
    const comments = within(article('First post')).getAllByRole('listitem');
    expect(comments.map((item) => item.textContent)).toEqual(['Nice one', PENDING, REJECTED]);
    expect(screen.queryByText('Hidden until moderated')).not.toBeInTheDocument();
    expect(screen.queryByText('I like orange')).not.toBeInTheDocument();
  });

  it('shows markup in a comment as text, never as HTML', async () => {
    const script = '<script>alert(1)</script><b>bold</b>';
    await renderApp([{ id: 'p1', title: '<i>title</i>', comments: [{ id: 'c1', content: script, status: 'approved' }] }]);
    expect(screen.getByRole('heading', { name: '<i>title</i>' })).toBeInTheDocument();
    expect(screen.getByRole('listitem')).toHaveTextContent(script);
    expect(document.querySelector('article script, article b, article i')).toBeNull();
  });

  it('keeps the server order, oldest post first', async () => {
    await renderApp([firstPost, quietPost]);
    expect(screen.getAllByRole('article').map((post) => within(post).getByRole('heading').textContent)).toEqual(['First post', 'Quiet post']);
  });

  it('says the service is unavailable when GET /posts answers 503, and recovers on the next poll', async () => {
    backend = fakeBackend();
    backend.failNext('GET /posts', { status: 503, body: { error: { code: 'unavailable', message: 'bus down' } } });
    globalThis.fetch = backend.fetch as unknown as typeof fetch;
    render(<App />);
    expect(await screen.findByRole('alert')).toHaveTextContent(UNAVAILABLE_MESSAGE);

    await advance(SLOW_POLL_MS);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(screen.getByText('No posts yet. Create the first one above.')).toBeInTheDocument();
  });

  it('keeps showing the posts and says it is reconnecting while GET /posts fails, until a poll succeeds', async () => {
    await renderApp([quietPost]);
    expect(screen.getByRole('status')).toBeEmptyDOMElement();
    backend.failNext('GET /posts', { status: 503, body: { error: { code: 'no_ready_endpoint', message: 'query is not ready' } } }, 'network-error');

    await advance(SLOW_POLL_MS);
    expect(screen.getByRole('status')).toHaveTextContent(/reconnecting…/i);
    expect(article('Quiet post')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();

    await advance(SLOW_POLL_MS); // the network fails too: still the same posts, still reconnecting
    expect(screen.getByRole('status')).toHaveTextContent(/reconnecting…/i);
    expect(article('Quiet post')).toBeInTheDocument();

    await advance(SLOW_POLL_MS);
    expect(screen.getByRole('status')).toBeEmptyDOMElement();
    expect(article('Quiet post')).toBeInTheDocument();
  });

  it('says the service is unavailable when the network fails', async () => {
    backend = fakeBackend();
    backend.failNext('GET /posts', 'network-error');
    globalThis.fetch = backend.fetch as unknown as typeof fetch;
    render(<App />);
    expect(await screen.findByRole('alert')).toHaveTextContent(UNAVAILABLE_MESSAGE);
  });
});

describe('polling', () => {
  it('picks up a moderation result without a reload', async () => {
    await renderApp([firstPost]);
    backend.moderate('c2', 'approved');
    await advance(FAST_POLL_MS);
    expect(within(article('First post')).getByText('Hidden until moderated')).toBeInTheDocument();
    expect(screen.queryByText(PENDING)).not.toBeInTheDocument();
  });

  it('polls fast while a comment is pending and slowly once nothing is', async () => {
    await renderApp([firstPost]);
    const afterLoad = backend.getPostsCalls();
    await advance(FAST_POLL_MS);
    expect(backend.getPostsCalls()).toBe(afterLoad + 1);

    backend.moderate('c2', 'rejected');
    await advance(FAST_POLL_MS); // this poll sees nothing pending any more
    const settled = backend.getPostsCalls();
    await advance(FAST_POLL_MS);
    expect(backend.getPostsCalls()).toBe(settled);
    await advance(SLOW_POLL_MS - FAST_POLL_MS);
    expect(backend.getPostsCalls()).toBe(settled + 1);
  });

  it('stops while the tab is hidden and catches up when it is shown again', async () => {
    await renderApp([quietPost]);
    setHidden(true);
    const whileHidden = backend.getPostsCalls();
    await advance(SLOW_POLL_MS * 3);
    expect(backend.getPostsCalls()).toBe(whileHidden);

    await act(async () => setHidden(false));
    expect(backend.getPostsCalls()).toBe(whileHidden + 1);
  });

  it('does not schedule another poll when the tab is hidden while a poll is in flight', async () => {
    await renderApp([quietPost]);
    const beforeHiding = backend.getPostsCalls();
    await act(async () => {
      jest.advanceTimersByTime(SLOW_POLL_MS); // starts a poll whose answer has not arrived yet
      setHidden(true);
    });
    expect(backend.getPostsCalls()).toBe(beforeHiding + 1);
    await advance(SLOW_POLL_MS * 3);
    expect(backend.getPostsCalls()).toBe(beforeHiding + 1);
  });
});

describe('creating a post', () => {
  it('shows the new post at once, before the read model has it, and clears the field', async () => {
    const user = await renderApp([quietPost]);
    backend.setReadModelCaughtUp(false);
    const title = screen.getByLabelText('Title');
    await user.type(title, 'Hello world{Enter}');

    expect(await screen.findByRole('article', { name: 'Hello world' })).toBeInTheDocument();
    expect(title).toHaveValue('');
    expect(backend.calls).toContainEqual({
      method: 'POST',
      url: '/posts/create',
      body: { title: 'Hello world' },
      idempotencyKey: expect.stringMatching(/^[0-9a-f]{32}$/),
    });

    await advance(FAST_POLL_MS); // the read model still lags: the post must not vanish
    expect(screen.getByRole('article', { name: 'Hello world' })).toBeInTheDocument();
    backend.setReadModelCaughtUp(true);
    await advance(FAST_POLL_MS);
    expect(screen.getAllByRole('article', { name: 'Hello world' })).toHaveLength(1);
  });

  it('keeps the text and shows the server message when the post is refused', async () => {
    const user = await renderApp([]);
    backend.failNext('POST /posts/create', { status: 400, body: { error: { code: 'invalid', message: 'Title is too long' } } });
    await user.type(screen.getByLabelText('Title'), 'A title');
    await user.click(screen.getByRole('button', { name: 'Create post' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('Title is too long');
    expect(screen.getByLabelText('Title')).toHaveValue('A title');
    expect(screen.queryByRole('article')).not.toBeInTheDocument();
  });

  it('shows why a title was refused under the title field, with its position in the field, keeping the text', async () => {
    const user = await renderApp([]);
    const field = screen.getByLabelText('Title');
    await user.click(field);
    await user.paste('  Hi \u202Eevil');
    await user.click(screen.getByRole('button', { name: 'Create post' }));

    const message = 'title: character 6 is U+202E (a bidirectional override), which is not allowed';
    expect(await screen.findByRole('alert')).toHaveTextContent(message);
    expect(field).toHaveAccessibleDescription(message);
    expect(field).toHaveValue('  Hi \u202Eevil');
    expect(screen.queryByRole('article')).not.toBeInTheDocument();
  });

  it('keeps the text and says to try again when the service is unavailable', async () => {
    const user = await renderApp([]);
    backend.failNext('POST /posts/create', { status: 503, body: { error: { code: 'unavailable', message: 'bus down' } } });
    await user.type(screen.getByLabelText('Title'), 'A title');
    await user.click(screen.getByRole('button', { name: 'Create post' }));

    expect(await screen.findByRole('alert')).toHaveTextContent(UNAVAILABLE_MESSAGE);
    expect(screen.getByLabelText('Title')).toHaveValue('A title');

    await user.click(screen.getByRole('button', { name: 'Create post' }));
    expect(await screen.findByRole('article', { name: 'A title' })).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('asks for a title instead of sending an empty one', async () => {
    const user = await renderApp([]);
    await user.type(screen.getByLabelText('Title'), '   ');
    await user.click(screen.getByRole('button', { name: 'Create post' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Please enter a title.');
    expect(backend.calls.filter((call) => call.method === 'POST')).toEqual([]);
  });
});

describe('adding a comment', () => {
  it('shows the comment as awaiting moderation at once and clears the field', async () => {
    const user = await renderApp([quietPost]);
    const post = article('Quiet post');
    const input = within(post).getByLabelText('Comment');
    await user.type(input, 'First!');
    await user.click(within(post).getByRole('button', { name: 'Add comment' }));

    expect(await within(post).findByRole('listitem')).toHaveTextContent(PENDING);
    expect(input).toHaveValue('');
    expect(backend.calls).toContainEqual({
      method: 'POST',
      url: '/posts/p2/comments',
      body: { content: 'First!' },
      idempotencyKey: expect.stringMatching(/^[0-9a-f]{32}$/),
    });

    backend.moderate('comment-1', 'approved');
    await advance(FAST_POLL_MS);
    expect(within(post).getByRole('listitem')).toHaveTextContent('First!');
  });

  it('keeps the text and shows the message when the post is unknown', async () => {
    const user = await renderApp([quietPost]);
    backend.failNext('POST /posts/p2/comments', { status: 404, body: { error: { code: 'not_found', message: 'Post p2 does not exist' } } });
    const post = article('Quiet post');
    await user.type(within(post).getByLabelText('Comment'), 'Hello');
    await user.click(within(post).getByRole('button', { name: 'Add comment' }));

    expect(await within(post).findByRole('alert')).toHaveTextContent('Post p2 does not exist');
    expect(within(post).getByLabelText('Comment')).toHaveValue('Hello');
    expect(within(post).queryByRole('listitem')).not.toBeInTheDocument();
  });

  it('shows why a comment was refused under its field, keeping the text', async () => {
    const user = await renderApp([quietPost]);
    const post = article('Quiet post');
    const field = within(post).getByLabelText('Comment');
    await user.click(field);
    await user.paste('Nice\u0000');
    await user.click(within(post).getByRole('button', { name: 'Add comment' }));

    const message = 'content: character 5 is U+0000 (a control character), which is not allowed';
    expect(await within(post).findByRole('alert')).toHaveTextContent(message);
    expect(field).toHaveAccessibleDescription(message);
    expect(field).toHaveValue('Nice\u0000');
    expect(screen.getByLabelText('Title')).not.toHaveAccessibleDescription(); // the other form is untouched
    expect(within(post).queryByRole('listitem')).not.toBeInTheDocument();
  });

  it('keeps the text and says to try again when the network fails', async () => {
    const user = await renderApp([quietPost]);
    backend.failNext('POST /posts/p2/comments', 'network-error');
    const post = article('Quiet post');
    await user.type(within(post).getByLabelText('Comment'), 'Hello{Enter}');

    expect(await within(post).findByRole('alert')).toHaveTextContent(UNAVAILABLE_MESSAGE);
    expect(within(post).getByLabelText('Comment')).toHaveValue('Hello');
  });

  it('sends a retry of the same text with the same Idempotency-Key, and a new text with a new one', async () => {
    const user = await renderApp([quietPost]);
    backend.failNext('POST /posts/p2/comments', { status: 502, body: { error: { code: 'bad_gateway', message: 'comments is unreachable' } } });
    const post = article('Quiet post');
    await user.type(within(post).getByLabelText('Comment'), 'Only once{Enter}');
    await within(post).findByRole('alert');
    await user.click(within(post).getByRole('button', { name: 'Add comment' }));
    await within(post).findByText(PENDING);
    await user.type(within(post).getByLabelText('Comment'), 'Another{Enter}');
    await within(post).findAllByText(PENDING);

    const keys = backend.calls.filter((c) => c.method === 'POST').map((c) => c.idempotencyKey);
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
  });
});
