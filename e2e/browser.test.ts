import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { System } from '@posts/runtime';
import { chromium, type Browser, type Locator } from 'playwright-core';
import { startTestSystem } from './support';

const SCREENSHOT = path.resolve(__dirname, '../artifacts/browser/blog.png');
// Generous: these wait for moderation to go round the bus, they do not measure it.
const WAIT = { timeout: 60_000 };

let system: System | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  system = await startTestSystem('browser');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

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
