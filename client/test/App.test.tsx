import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { App } from '../src/web/App';
import { UNAVAILABLE_MESSAGE, type Post } from '../src/web/api';
import { LAG_RETRY_MS, LAG_TRIES, RETRY_MS } from '../src/web/useFeed';
import { BROWSER_RECONNECT_MS, fakeBackend } from './fakeBackend';

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

/** `count` posts titled `Post 1`… (oldest first), without comments. */
const manyPosts = (count: number): Post[] => Array.from({ length: count }, (_, i) => ({ id: `many-${i + 1}`, title: `Post ${i + 1}`, comments: [] }));

/** A post with `count` approved comments `Comment 1`… (oldest first). */
const chattyPost = (count: number): Post => ({
  id: 'chatty',
  title: 'Chatty post',
  comments: Array.from({ length: count }, (_, i) => ({ id: `chat-${i + 1}`, content: `Comment ${i + 1}`, status: 'approved' })),
});

/** A POST as the backend records it, with a fresh idempotency key. */
const aPost = (url: string, body: unknown) => ({ method: 'POST', url, body, idempotencyKey: expect.stringMatching(/^[0-9a-f]{32}$/) });

let backend: ReturnType<typeof fakeBackend>;

/** Points the page's fetch and EventSource at a fake backend. */
function useBackend(created: ReturnType<typeof fakeBackend>) {
  backend = created;
  globalThis.fetch = backend.fetch as unknown as typeof fetch;
  globalThis.EventSource = backend.EventSource as unknown as typeof EventSource;
}

/** Renders the app against the fake backend (after `before`, if given) and waits for the stream to start and the first page to land. */
async function renderApp(posts: Post[], options?: Parameters<typeof fakeBackend>[1], before?: () => void) {
  useBackend(fakeBackend(posts, options));
  before?.();
  const user = userEvent.setup({ advanceTimers: jest.advanceTimersByTime });
  render(<App />);
  await screen.findByRole('heading', { name: 'Posts' });
  await advance(0);
  return user;
}

/** Moves the fake clock and lets what it triggers (stream connections, fetches) finish. */
async function advance(ms: number) {
  await act(async () => {
    await jest.advanceTimersByTimeAsync(ms);
    // What those timers started, and their answers (a 0 ms timer set by a timer is due 1 ms later).
    for (let i = 0; i < 3; i++) await jest.advanceTimersByTimeAsync(1);
  });
}

/** Clicks, and lets the fetch it starts answer. */
async function click(user: ReturnType<typeof userEvent.setup>, button: HTMLElement) {
  await user.click(button);
  await advance(0);
}

/** Something happening on the server (someone else's write, moderation, a dropped stream), and its effect on the page. */
async function server(happen: () => unknown) {
  await act(async () => {
    happen();
  });
}

function article(title: string): HTMLElement {
  return screen.getByRole('article', { name: title });
}

const titles = () => screen.queryAllByRole('article').map((post) => within(post).getByRole('heading').textContent);
const commentTexts = (title: string) =>
  within(article(title))
    .queryAllByRole('listitem')
    .map((item) => item.textContent);

beforeEach(() => {
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
});

describe('the list of posts', () => {
  it('shows approved content, and fixed texts for pending and rejected comments', async () => {
    await renderApp([firstPost]);
    expect(commentTexts('First post')).toEqual(['Nice one', PENDING, REJECTED]);
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

  it('shows the newest post first', async () => {
    await renderApp([firstPost, quietPost]);
    expect(titles()).toEqual(['Quiet post', 'First post']);
  });

  it('opens the live stream before it loads the first page, and never polls', async () => {
    await renderApp([quietPost]);
    expect(backend.openStreams()).toBe(1);
    expect(backend.calls.map((call) => call.url)).toEqual(['/posts/page']);
    await advance(60_000);
    expect(backend.calls.map((call) => call.url)).toEqual(['/posts/page']);
  });

  it('says the service is unavailable when the first page answers 503, and loads it on the next try', async () => {
    useBackend(fakeBackend());
    backend.failNext('GET /posts/page', { status: 503, body: { error: { code: 'unavailable', message: 'bus down' } } });
    render(<App />);
    await advance(0);
    expect(screen.getByRole('alert')).toHaveTextContent(UNAVAILABLE_MESSAGE);

    await advance(RETRY_MS);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(screen.getByText('No posts yet. Create the first one above.')).toBeInTheDocument();
  });

  it('says the service is unavailable when the network fails', async () => {
    useBackend(fakeBackend());
    backend.failNext('GET /posts/page', 'network-error');
    render(<App />);
    await advance(0);
    expect(screen.getByRole('alert')).toHaveTextContent(UNAVAILABLE_MESSAGE);
  });

  it('says the service is unavailable while the stream is refused, and loads the page once it opens', async () => {
    useBackend(fakeBackend([quietPost]));
    backend.setLiveDown(true);
    render(<App />);
    await advance(0);
    expect(screen.getByRole('alert')).toHaveTextContent(UNAVAILABLE_MESSAGE);
    expect(backend.getCalls('/posts/page')).toHaveLength(0);

    backend.setLiveDown(false);
    await advance(RETRY_MS);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(article('Quiet post')).toBeInTheDocument();
  });
});

describe('paging', () => {
  it('shows the first page of posts, and the next one on "More posts", until there are no more', async () => {
    const user = await renderApp(manyPosts(5), { postsPerPage: 2 });
    expect(titles()).toEqual(['Post 5', 'Post 4']);

    await click(user, screen.getByRole('button', { name: 'More posts' }));
    expect(titles()).toEqual(['Post 5', 'Post 4', 'Post 3', 'Post 2']);
    await click(user, screen.getByRole('button', { name: 'More posts' }));
    expect(titles()).toEqual(['Post 5', 'Post 4', 'Post 3', 'Post 2', 'Post 1']);
    expect(screen.queryByRole('button', { name: 'More posts' })).not.toBeInTheDocument();
    expect(backend.getCalls('/posts/page').map((call) => call.url)).toEqual(['/posts/page', '/posts/page?cursor=post%3A4', '/posts/page?cursor=post%3A2']);
  });

  it('says why more posts could not be loaded, and loads them on the next click', async () => {
    const user = await renderApp(manyPosts(3), { postsPerPage: 2 });
    backend.failNext('GET /posts/page', { status: 503 });
    await click(user, screen.getByRole('button', { name: 'More posts' }));
    expect(screen.getByRole('alert')).toHaveTextContent(UNAVAILABLE_MESSAGE);
    expect(titles()).toEqual(['Post 3', 'Post 2']);

    await click(user, screen.getByRole('button', { name: 'More posts' }));
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(titles()).toEqual(['Post 3', 'Post 2', 'Post 1']);
  });

  it("shows a post's newest comments, and its older ones a page at a time", async () => {
    const user = await renderApp([chattyPost(7)], { commentsPerPage: 2 });
    expect(commentTexts('Chatty post')).toEqual(['Comment 5', 'Comment 6', 'Comment 7']);

    await click(user, within(article('Chatty post')).getByRole('button', { name: 'Show 4 older comments' }));
    expect(commentTexts('Chatty post')).toEqual(['Comment 3', 'Comment 4', 'Comment 5', 'Comment 6', 'Comment 7']);
    await click(user, within(article('Chatty post')).getByRole('button', { name: 'Show 2 older comments' }));
    expect(commentTexts('Chatty post')).toEqual(['Comment 1', 'Comment 2', 'Comment 3', 'Comment 4', 'Comment 5', 'Comment 6', 'Comment 7']);
    expect(within(article('Chatty post')).queryByRole('button', { name: /older/ })).not.toBeInTheDocument();
  });

  it('says why older comments could not be loaded, under the post, and loads them on the next click', async () => {
    const user = await renderApp([chattyPost(4)]);
    backend.failNext('GET /posts/comments/page', 'network-error');
    const post = article('Chatty post');
    await click(user, within(post).getByRole('button', { name: 'Show 1 older comment' }));
    expect(within(post).getByRole('alert')).toHaveTextContent(UNAVAILABLE_MESSAGE);

    await click(user, within(post).getByRole('button', { name: 'Show 1 older comment' }));
    expect(commentTexts('Chatty post')).toEqual(['Comment 1', 'Comment 2', 'Comment 3', 'Comment 4']);
  });

  it('keeps in the page only what was asked for, however large the blog', async () => {
    await renderApp([...manyPosts(200), chattyPost(500)]);
    expect(screen.getAllByRole('article')).toHaveLength(10);
    expect(screen.getAllByRole('listitem')).toHaveLength(3);
    expect(screen.getByRole('button', { name: 'Show 497 older comments' })).toBeInTheDocument();
    expect(backend.calls).toHaveLength(1);
  });
});

describe('live updates', () => {
  it("shows someone else's new post first, without loading the page again", async () => {
    await renderApp(manyPosts(3), { postsPerPage: 2 });
    await server(() => backend.post('Breaking news'));
    expect(titles()).toEqual(['Breaking news', 'Post 3', 'Post 2']);
    expect(backend.getCalls('/posts/page')).toHaveLength(1);
  });

  it("appends someone else's comment to its post, and counts it with the older ones", async () => {
    await renderApp([chattyPost(4)]);
    await server(() => backend.comment('chatty', 'Live comment'));
    expect(commentTexts('Chatty post')).toEqual(['Comment 2', 'Comment 3', 'Comment 4', 'Live comment']);
    expect(within(article('Chatty post')).getByRole('button', { name: 'Show 1 older comment' })).toBeInTheDocument();
  });

  it('shows a comment on a post that is not shown yet only once that post is', async () => {
    const user = await renderApp(manyPosts(3), { postsPerPage: 2 });
    await server(() => backend.comment('many-1', 'On the oldest post'));
    expect(screen.queryByText('On the oldest post')).not.toBeInTheDocument();

    await click(user, screen.getByRole('button', { name: 'More posts' }));
    expect(commentTexts('Post 1')).toEqual(['On the oldest post']);
  });

  it('shows a moderation result in place', async () => {
    await renderApp([firstPost]);
    await server(() => backend.moderate('c2', 'approved'));
    expect(commentTexts('First post')).toEqual(['Nice one', 'Hidden until moderated', REJECTED]);
  });

  it('applies a moderation result to older comments loaded later, as the server has it then', async () => {
    const user = await renderApp([
      { ...chattyPost(4), comments: [{ id: 'old', content: 'Old and pending', status: 'pending' as const }, ...chattyPost(3).comments] },
    ]);
    await server(() => backend.moderate('old', 'rejected'));
    await click(user, screen.getByRole('button', { name: 'Show 1 older comment' }));
    expect(commentTexts('Chatty post')).toEqual([REJECTED, 'Comment 1', 'Comment 2', 'Comment 3']);
  });

  it('says it is reconnecting while the stream is down, keeps the posts, and catches up without a gap', async () => {
    await renderApp([quietPost]);
    expect(screen.getByRole('status')).toBeEmptyDOMElement();
    await server(() => backend.dropStreams());
    expect(screen.getByRole('status')).toHaveTextContent(/reconnecting…/i);
    expect(article('Quiet post')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();

    await server(() => backend.comment('p2', 'Said while you were away'));
    await server(() => backend.post('Posted while you were away'));
    await advance(BROWSER_RECONNECT_MS);
    expect(screen.getByRole('status')).toBeEmptyDOMElement();
    expect(titles()).toEqual(['Posted while you were away', 'Quiet post']);
    expect(commentTexts('Quiet post')).toEqual(['Said while you were away']);
    expect(backend.getCalls('/posts/page')).toHaveLength(1);
  });

  it("opens the stream again where it left off when the server refused the browser's reconnect", async () => {
    await renderApp([quietPost]);
    const seenUpTo = backend.seq;
    await server(() => backend.dropStreams({ down: true }));
    await server(() => backend.comment('p2', 'Said while query restarted'));
    await advance(BROWSER_RECONNECT_MS + RETRY_MS * 2);
    expect(screen.getByRole('status')).toHaveTextContent(/reconnecting…/i);

    backend.setLiveDown(false);
    await advance(RETRY_MS * 8);
    expect(screen.getByRole('status')).toBeEmptyDOMElement();
    expect(commentTexts('Quiet post')).toEqual(['Said while query restarted']);
    expect(backend.getCalls('/posts/page')).toHaveLength(1);
    expect(backend.openStreams()).toBe(1);
    expect(backend.streamUrls.at(-1)).toBe(`/posts/live?since=${seenUpTo}`);
  });

  it('loads the first page again when the stream cannot resume (reset)', async () => {
    await renderApp([quietPost], { ringCapacity: 2 });
    await server(() => backend.dropStreams());
    await server(() => {
      for (let i = 1; i <= 3; i++) backend.comment('p2', `Missed ${i}`);
      backend.post('Also missed');
    });
    await advance(BROWSER_RECONNECT_MS);
    expect(backend.getCalls('/posts/page')).toHaveLength(2);
    expect(titles()).toEqual(['Also missed', 'Quiet post']);
    expect(commentTexts('Quiet post')).toEqual(['Missed 1', 'Missed 2', 'Missed 3']);
    expect(screen.getByRole('status')).toBeEmptyDOMElement();

    await server(() => backend.comment('p2', 'After the reset'));
    expect(commentTexts('Quiet post')).toEqual(['Missed 1', 'Missed 2', 'Missed 3', 'After the reset']);
  });
});

describe('two query replicas: pages and the stream from either, each as of its own seq', () => {
  it('asks again for a first page from a replica behind where the stream started, and shows it once that replica caught up', async () => {
    await renderApp([firstPost], undefined, () => backend.pagesAt(1)); // the post, without its comments
    expect(titles()).toEqual([]);
    await advance(LAG_RETRY_MS);
    expect(titles()).toEqual([]);
    backend.pagesAt(null);
    await advance(LAG_RETRY_MS);
    expect(commentTexts('First post')).toEqual(['Nice one', PENDING, REJECTED]);
    expect(backend.getCalls('/posts/page')).toHaveLength(3);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('says the service is unavailable when that replica does not catch up, and loads the page on the next try', async () => {
    await renderApp([quietPost], undefined, () => backend.pagesAt(0));
    await advance(LAG_RETRY_MS * LAG_TRIES);
    expect(screen.getByRole('alert')).toHaveTextContent(UNAVAILABLE_MESSAGE);
    backend.pagesAt(null);
    await advance(RETRY_MS);
    expect(titles()).toEqual(['Quiet post']);
  });

  it('puts what the stream brought on a page from a replica behind it (more posts), counting it once', async () => {
    const user = await renderApp(manyPosts(3), { postsPerPage: 2 });
    backend.pagesAt(backend.seq);
    await server(() => backend.comment('many-1', 'On a post not shown yet'));
    await server(() => backend.comment('many-3', 'On a post shown'));
    await server(() => backend.moderate(backend.comment('many-1', 'Moderated', 'pending'), 'rejected'));

    await click(user, screen.getByRole('button', { name: 'More posts' }));
    expect(titles()).toEqual(['Post 3', 'Post 2', 'Post 1']);
    expect(commentTexts('Post 1')).toEqual(['On a post not shown yet', REJECTED]);
    expect(commentTexts('Post 3')).toEqual(['On a post shown']);
    expect(screen.queryByRole('button', { name: /older/ })).not.toBeInTheDocument();
  });

  it("skips the stream's changes that a page from a replica ahead of it has already, and applies those after", async () => {
    await renderApp([chattyPost(3)], undefined, () => {
      backend.streamAt(backend.seq); // the stream starts here, the page has the next four
      backend.comment('chatty', 'Hidden behind the newest three');
      for (let i = 1; i <= 3; i++) backend.comment('chatty', `New ${i}`);
    });
    const newest = ['New 1', 'New 2', 'New 3'];
    expect(commentTexts('Chatty post')).toEqual(newest);
    expect(within(article('Chatty post')).getByRole('button', { name: 'Show 4 older comments' })).toBeInTheDocument();

    await server(() => backend.streamAt(null)); // the stream catches up: it sends the four the page has
    expect(commentTexts('Chatty post')).toEqual(newest);
    expect(within(article('Chatty post')).getByRole('button', { name: 'Show 4 older comments' })).toBeInTheDocument();
    await server(() => backend.comment('chatty', 'After the page'));
    expect(commentTexts('Chatty post')).toEqual([...newest, 'After the page']);
    expect(within(article('Chatty post')).getByRole('button', { name: 'Show 4 older comments' })).toBeInTheDocument();
  });

  it('loads the first page again after a reset, from a replica that caught up with the stream', async () => {
    await renderApp([quietPost], { ringCapacity: 2 });
    backend.pagesAt(backend.seq);
    await server(() => backend.dropStreams());
    await server(() => {
      for (let i = 1; i <= 3; i++) backend.comment('p2', `Missed ${i}`);
    });
    await advance(BROWSER_RECONNECT_MS);
    expect(commentTexts('Quiet post')).toEqual([]); // the stream reset; the page replica is still behind it
    backend.pagesAt(null);
    await advance(LAG_RETRY_MS);
    expect(commentTexts('Quiet post')).toEqual(['Missed 1', 'Missed 2', 'Missed 3']);
    await server(() => backend.comment('p2', 'After the reset'));
    expect(commentTexts('Quiet post')).toEqual(['Missed 1', 'Missed 2', 'Missed 3', 'After the reset']);
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
    expect(backend.calls).toContainEqual(aPost('/posts/create', { title: 'Hello world' }));

    await advance(60_000); // the read model still lags: the post must not vanish
    expect(screen.getByRole('article', { name: 'Hello world' })).toBeInTheDocument();
    await server(() => backend.setReadModelCaughtUp(true)); // now the stream brings it too
    expect(screen.getAllByRole('article', { name: 'Hello world' })).toHaveLength(1);
    expect(titles()).toEqual(['Hello world', 'Quiet post']);
  });

  it('keeps a new post the read model does not have yet when the first page is loaded again', async () => {
    const user = await renderApp([quietPost], { ringCapacity: 1 });
    backend.setReadModelCaughtUp(false);
    await user.type(screen.getByLabelText('Title'), 'Mine{Enter}');
    await server(() => backend.dropStreams());
    await server(() => {
      backend.post('Theirs 1');
      backend.post('Theirs 2');
    });
    await advance(BROWSER_RECONNECT_MS); // reset: the first page again, without "Mine" yet
    expect(backend.getCalls('/posts/page')).toHaveLength(2);
    expect(titles()).toEqual(['Mine', 'Theirs 2', 'Theirs 1', 'Quiet post']);
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
    await click(user, within(post).getByRole('button', { name: 'Add comment' }));

    expect(await within(post).findByRole('listitem')).toHaveTextContent(PENDING);
    expect(input).toHaveValue('');
    expect(backend.calls).toContainEqual(aPost('/posts/p2/comments', { content: 'First!' }));

    await server(() => backend.moderate('comment-1', 'approved'));
    expect(within(post).getByRole('listitem')).toHaveTextContent('First!');
  });

  it('shows a comment once, whether the stream brings it before or after the answer to its POST', async () => {
    const user = await renderApp([quietPost]);
    const post = article('Quiet post');
    await user.type(within(post).getByLabelText('Comment'), 'Streamed first{Enter}'); // the fake streams it as it stores it
    await advance(0);
    backend.setReadModelCaughtUp(false);
    await user.type(within(post).getByLabelText('Comment'), 'Answered first{Enter}');
    await advance(0);
    expect(within(post).getAllByText(PENDING)).toHaveLength(2);
    await server(() => backend.setReadModelCaughtUp(true));
    await server(() => backend.moderate('comment-2', 'approved'));
    await server(() => backend.moderate('comment-1', 'rejected'));
    expect(commentTexts('Quiet post')).toEqual([REJECTED, 'Answered first']);
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

  it('keeps a comment typed while the previous one is being sent, and sends it after', async () => {
    const user = await renderApp([quietPost]);
    const release = backend.holdNext('POST /posts/p2/comments');
    const post = article('Quiet post');
    const field = within(post).getByLabelText('Comment');
    await user.type(field, 'First{Enter}');
    await user.clear(field);
    await user.type(field, 'Second{Enter}');
    await user.type(field, ' and more');
    await server(release);
    await advance(0);

    expect(backend.calls.filter((call) => call.method === 'POST').map((call) => call.body)).toEqual([{ content: 'First' }, { content: 'Second' }]);
    expect(within(post).getAllByText(PENDING)).toHaveLength(2);
    // What was sent goes; what was typed after it stays.
    expect(field).toHaveValue(' and more');
  });

  it('says which comment was not sent when its send fails after the person typed on, keeping what they typed', async () => {
    const user = await renderApp([quietPost]);
    const release = backend.holdNext('POST /posts/p2/comments');
    backend.failNext('POST /posts/p2/comments', 'network-error');
    const post = article('Quiet post');
    const field = within(post).getByLabelText('Comment');
    await user.type(field, 'First{Enter}');
    await user.clear(field);
    await user.type(field, 'Second');
    await server(release);

    expect(await within(post).findByRole('alert')).toHaveTextContent(`"First" was not sent. ${UNAVAILABLE_MESSAGE}`);
    expect(field).toHaveValue('Second');
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
