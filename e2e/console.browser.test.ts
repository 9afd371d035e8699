// The console at /console in headless Chromium, on the system as `npm start` runs it: a new comment's path through
// the services, then query paused (SIGSTOP) while comments are written, its lag growing, and its catch-up (SIGCONT).
import path from 'node:path';
import type { System } from '@posts/runtime';
import type { Browser, Locator, Page } from 'playwright-core';
import { startTestSystem } from './support';
import { launchChromium, writeUntilAccepted } from './support/browser';

jest.setTimeout(240_000);

const SCREENSHOT = path.resolve(__dirname, '../docs/console.png');
// Generous: these wait for events to go round the bus, they do not measure it.
const WAIT = { timeout: 60_000 };

let system: System | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  system = await startTestSystem('console');
  browser = await launchChromium();
});

afterAll(async () => {
  // Never leave query paused: the launcher could not stop it.
  if (system?.pid('query')) system.kill('query', 'SIGCONT');
  await browser?.close();
  await system?.stop();
});

const write = (urlPath: string, body: unknown) => writeUntilAccepted(system!.url, urlPath, body);

/** The subscribers table's row for a service, and its lag as a number. */
const rowOf = (page: Page, service: string): Locator =>
  page.getByRole('table', { name: 'Subscribers' }).getByRole('row', { name: new RegExp(`^${service}\\b`) });
const lagOf = async (row: Locator): Promise<number> => Number(await row.getByRole('cell').nth(1).textContent());

test("shows a new comment's path, then a paused subscriber's growing lag and its catch-up", async () => {
  const errors: string[] = [];
  // The blog: a post, and on it a comment with a banned word, written through the page.
  const blog = await browser!.newPage({ viewport: { width: 1100, height: 900 } });
  blog.on('pageerror', (err) => errors.push(err.message));
  await blog.goto(system!.url);
  const title = `Console ${Date.now()}`;
  await blog.getByLabel('Title').fill(title);
  await blog.getByRole('button', { name: 'Create post' }).click();
  const article = blog.getByRole('article', { name: title });
  await article.waitFor(WAIT);

  // The console, reached from the blog's header.
  const consolePage = await browser!.newPage({ viewport: { width: 1100, height: 1000 } });
  consolePage.on('pageerror', (err) => errors.push(err.message));
  await consolePage.goto(system!.url);
  await consolePage.getByRole('link', { name: 'Event console' }).click();
  await consolePage.getByRole('heading', { name: 'posts.com console' }).waitFor(WAIT);
  await rowOf(consolePage, 'query').waitFor(WAIT);

  const posted = blog.waitForResponse((res) => res.request().method() === 'POST' && res.url().endsWith('/comments'));
  await article.getByLabel('Comment').fill('I like orange');
  await article.getByRole('button', { name: 'Add comment' }).click();
  const { id: commentId } = (await (await posted).json()) as { id: string };
  await article.getByRole('listitem').filter({ hasText: 'This comment has been rejected' }).waitFor(WAIT);

  // Its path: chosen from the recent comments, each step with its time, the last one the read model showing it.
  const log = consolePage.getByRole('table', { name: 'Event log' });
  await log.getByRole('row').filter({ hasText: 'CommentUpdated' }).first().waitFor(WAIT);
  await consolePage.getByLabel('Recent comment').selectOption(commentId);
  const timeline = consolePage.getByRole('list', { name: `Path of ${commentId}` });
  const steps = timeline.getByRole('listitem');
  await steps.filter({ hasText: /^visible in the read model rejected/ }).waitFor(WAIT);
  const texts = await steps.allTextContents();
  expect(texts.map((t) => t.split(' at ')[0])).toEqual([
    'CommentCreated pending',
    'visible in the read model pending',
    'CommentModerated rejected',
    'CommentUpdated rejected',
    'visible in the read model rejected',
  ]);
  for (const [i, text] of texts.entries()) expect(text).toMatch(i === 0 ? / at \d\d:\d\d:\d\d\.\d{3}/ : / at \d\d:\d\d:\d\d\.\d{3} [+−][\d.]+ m?s/);
  // The log shows who published what, newest first, with its request id.
  const newest = await log.getByRole('row').nth(1).getByRole('cell').allTextContents();
  expect(newest[1]).toMatch(/^Comment(Updated|Moderated|Created)$/);
  expect(newest[4]).not.toBe('');

  // query paused: deliveries to it stall, and its lag grows as comments are written.
  const queryRow = rowOf(consolePage, 'query');
  await queryRow.getByText('caught up').waitFor(WAIT);
  system!.kill('query', 'SIGSTOP');
  try {
    const postId = (await write('/posts/create', { title: `While query sleeps ${Date.now()}` })).id;
    for (let i = 1; i <= 5; i++) await write(`/posts/${postId}/comments`, { content: `written while query is paused ${i}` });
    await consolePage.waitForFunction(
      () => {
        const row = Array.from(document.querySelectorAll('tr')).find((r) => r.querySelector('th')?.textContent === 'query');
        return Number(row?.querySelectorAll('td')[1]?.textContent) >= 10;
      },
      undefined,
      WAIT,
    );
    const grown = await lagOf(queryRow);
    expect(grown).toBeGreaterThanOrEqual(10);
    expect(await queryRow.textContent()).not.toMatch(/caught up/);
    // The others took the same events.
    expect(await lagOf(rowOf(consolePage, 'moderation'))).toBeLessThan(grown);
    // For the README: the path above, query falling behind.
    await consolePage.screenshot({ path: SCREENSHOT });
  } finally {
    system!.kill('query', 'SIGCONT');
  }

  // Resumed: it takes what it missed, and is caught up again.
  await consolePage.waitForFunction(
    () => {
      const row = Array.from(document.querySelectorAll('tr')).find((r) => r.querySelector('th')?.textContent === 'query');
      return row?.querySelectorAll('td')[1]?.textContent === '0' && row.textContent?.includes('caught up');
    },
    undefined,
    WAIT,
  );
  expect(await lagOf(queryRow)).toBe(0);
  expect(errors).toEqual([]);
});
