import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { System } from '@posts/runtime';
import type { Browser, Locator, Page } from 'playwright-core';
import { restart, sleep, startTestSystem } from './support';
import { launchChromium, writeUntilAccepted } from './support/browser';

const SCREENSHOT = path.resolve(__dirname, '../artifacts/browser/blog.png');
// Generous: these wait for moderation to go round the bus, they do not measure it.
const WAIT = { timeout: 60_000 };

let system: System | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  system = await startTestSystem('browser');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

/** A page on the blog, failing the test on any error it throws; marked so that a reload would show. */
async function openBlog(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 900, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(system!.url);
  await page.getByRole('heading', { name: 'Posts', exact: true }).waitFor(WAIT);
  await page.evaluate(() => Object.assign(window, { sameDocument: true }));
  return { page, errors };
}

const sameDocument = (page: Page) => page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument);

const write = (urlPath: string, body: unknown) => writeUntilAccepted(system!.url, urlPath, body);

/** Waits until query's first page starts with the post `id` (and says, as the page needs it, the seq it is as of: at least that post's). */
async function readModelHas(id: string): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(100)) {
    const res = await fetch(new URL('/posts/page?limit=1', system!.url)).catch(() => undefined);
    const body = res?.ok ? ((await res.json()) as { posts: { id: string }[]; seq: number }) : undefined;
    if (body?.posts[0]?.id === id) return void expect(body.seq).toBeGreaterThan(0);
  }
  throw new Error(`query did not show post ${id} in 30 s`);
}

async function addComment(article: Locator, content: string, count: number): Promise<void> {
  await article.getByLabel('Comment').fill(content);
  await article.getByRole('button', { name: 'Add comment' }).click();
  await article
    .getByRole('listitem')
    .nth(count - 1)
    .waitFor(WAIT);
}

test('create a post, comment on it, and watch moderation land without a reload', async () => {
  const page = await browser!.newPage({ viewport: { width: 900, height: 800 } });
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));

  await page.goto(system!.url);
  // Survives only if the page is never reloaded.
  await page.evaluate(() => Object.assign(window, { sameDocument: true }));

  const title = 'Hello from the browser test';
  await page.getByLabel('Title').fill(title);
  await page.getByRole('button', { name: 'Create post' }).click();
  const article = page.getByRole('article', { name: title });
  await article.waitFor(WAIT);

  const script = '<script>window.injected = true</script><img src="x" onerror="window.injected = true; alert(1)">';
  await addComment(article, 'Great post!', 1);
  await addComment(article, 'Orange!', 2);
  await addComment(article, script, 3);

  const items = article.getByRole('listitem');
  await items.filter({ hasText: 'Great post!' }).waitFor(WAIT);
  await items.filter({ hasText: 'This comment has been rejected' }).waitFor(WAIT);
  await items.filter({ hasText: '<script>' }).waitFor(WAIT);

  expect(await items.allTextContents()).toEqual(['Great post!', 'This comment has been rejected', script]);
  // Shown as text, never run.
  expect(await page.evaluate(() => (window as unknown as { injected?: boolean }).injected)).toBeUndefined();
  expect(await article.locator('script, img').count()).toBe(0);
  expect(dialogs).toEqual([]);
  expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
  expect(errors).toEqual([]);

  mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
});

test('pages through posts ("More posts") and a post\'s older comments', async () => {
  // 11 posts, the newest with 5 comments: a first page of 10 posts, each with its newest 3 comments.
  const run = `Paging ${Date.now()}`;
  const ids: string[] = [];
  for (let i = 1; i <= 11; i++) ids.push((await write('/posts/create', { title: `${run} #${i}` })).id);
  for (let i = 1; i <= 5; i++) await write(`/posts/${ids[10]}/comments`, { content: `${run} comment ${i}` });
  await readModelHas(ids[10]);

  const { page, errors } = await openBlog();
  const newest = page.getByRole('article', { name: `${run} #11`, exact: true });
  await newest.getByRole('listitem').nth(2).waitFor(WAIT);
  const titles = () => page.getByRole('article').getByRole('heading').allTextContents();
  expect((await titles()).filter((t) => t.startsWith(run))).toEqual(Array.from({ length: 10 }, (_, i) => `${run} #${11 - i}`));
  expect(await page.getByRole('article').count()).toBe(10);

  await page.getByRole('button', { name: 'More posts' }).click();
  await page.getByRole('article', { name: `${run} #1`, exact: true }).waitFor(WAIT);
  expect((await titles()).filter((t) => t.startsWith(run))).toEqual(Array.from({ length: 11 }, (_, i) => `${run} #${11 - i}`));

  // Comments content only once approved: their count and order are what is compared, whatever moderation is up to.
  const comments = newest.getByRole('listitem');
  expect(await comments.count()).toBe(3);
  await newest.getByRole('button', { name: 'Show 2 older comments' }).click();
  await comments.nth(4).waitFor(WAIT);
  expect(await comments.count()).toBe(5);
  for (let i = 1; i <= 5; i++) await newest.getByText(`${run} comment ${i}`).waitFor(WAIT);
  expect(await comments.allTextContents()).toEqual(Array.from({ length: 5 }, (_, i) => `${run} comment ${i + 1}`));
  expect(await newest.getByRole('button', { name: /older/ }).count()).toBe(0);
  expect(await sameDocument(page)).toBe(true);
  expect(errors).toEqual([]);
  await page.close();
});

test('a comment written in one tab appears in another, and turns approved there, without a reload', async () => {
  const title = `Two tabs ${Date.now()}`;
  const { id } = await write('/posts/create', { title });
  await readModelHas(id);
  const [a, b] = [await openBlog(), await openBlog()];
  const inA = a.page.getByRole('article', { name: title });
  const inB = b.page.getByRole('article', { name: title });
  await inB.waitFor(WAIT);

  await addComment(inA, 'Hello from tab A', 1);
  await inB.getByRole('listitem').filter({ hasText: 'Hello from tab A' }).waitFor(WAIT);
  await inA.getByRole('listitem').filter({ hasText: 'Hello from tab A' }).waitFor(WAIT);
  expect(await inB.getByRole('listitem').count()).toBe(1);
  expect(await inA.getByRole('listitem').count()).toBe(1);

  // Someone else's new post too, first on both.
  const other = `Another post ${Date.now()}`;
  await write('/posts/create', { title: other });
  for (const tab of [a, b]) {
    await tab.page.getByRole('article', { name: other }).waitFor(WAIT);
    expect(await tab.page.getByRole('article').first().getByRole('heading').textContent()).toBe(other);
    expect(await sameDocument(tab.page)).toBe(true);
    expect(tab.errors).toEqual([]);
    await tab.page.close();
  }
});

test('a stream dropped by a restart of query resumes without a gap', async () => {
  const title = `Restart ${Date.now()}`;
  const { id } = await write('/posts/create', { title });
  await readModelHas(id);
  const { page, errors } = await openBlog();
  const article = page.getByRole('article', { name: title });
  await article.waitFor(WAIT);
  const status = page.getByRole('status');
  const firstPageLoads: string[] = [];
  const streams: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname === '/posts/page' && !url.searchParams.has('cursor')) firstPageLoads.push(url.href);
    if (url.pathname === '/posts/live') streams.push(url.search);
  });

  // Killed now, started again by the launcher: the comment is written while query is down or catching up.
  const restarted = restart(system!, 'query');
  await write(`/posts/${id}/comments`, { content: 'Written while query restarted' });
  await status.getByText(/reconnecting…/i).waitFor(WAIT);
  await restarted;

  await article.getByRole('listitem').filter({ hasText: 'Written while query restarted' }).waitFor(WAIT);
  await page.waitForFunction(() => document.querySelector('[role="status"]')?.textContent === '', undefined, WAIT);
  // And live again after it: a comment written now shows too.
  await write(`/posts/${id}/comments`, { content: 'Written after the restart' });
  await article.getByRole('listitem').filter({ hasText: 'Written after the restart' }).waitFor(WAIT);
  expect(await article.getByRole('listitem').allTextContents()).toEqual(['Written while query restarted', 'Written after the restart']);
  // Caught up by resuming the stream where it broke off (the browser's Last-Event-ID, or ?since= once the 503 made it
  // give up), not by loading the page again.
  expect(firstPageLoads).toEqual([]);
  expect(streams.length).toBeGreaterThan(0);

  // Down for longer than the browser's own reconnect (3 s): its EventSource gives up on the 503, and the page opens
  // a new one where it left off (?since=).
  await system!.stopService('query');
  await status.getByText(/reconnecting…/i).waitFor(WAIT);
  await write(`/posts/${id}/comments`, { content: 'Written while query was down' });
  await sleep(4_500);
  system!.startService('query');
  await system!.waitReady(60_000);
  await article.getByRole('listitem').filter({ hasText: 'Written while query was down' }).waitFor(WAIT);
  await page.waitForFunction(() => document.querySelector('[role="status"]')?.textContent === '', undefined, WAIT);
  expect(await article.getByRole('listitem').count()).toBe(3);
  expect(streams.some((search) => /^\?since=[0-9]+$/.test(search))).toBe(true);
  expect(firstPageLoads).toEqual([]);
  expect(await sameDocument(page)).toBe(true);
  expect(errors).toEqual([]);
  await page.close();
});
