// comments' database on a disk that fills up, as `npm start` runs it: its writes are answered 503 and
// its reads still served while the disk is full, nothing is torn, and it goes on once there is room.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSystem, type System } from '@posts/runtime';
import { until } from './support';

const root = process.getuid?.() === 0;
if (!root) console.warn('skipping the full-disk suite: mounting a small tmpfs needs root (CI runs as root)');

(root ? describe : describe.skip)("comments' database on a full disk", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'posts-disk-'));
  const disk = path.join(dataDir, 'comments'); // where npm start keeps comments' database
  const filler = path.join(disk, 'filler');
  let sys: System;
  const ingress = (p: string) => `http://127.0.0.1:${sys.ports.ingress}${p}`;
  const write = (p: string, body: unknown, key: string) =>
    fetch(ingress(p), { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(body) });

  beforeAll(async () => {
    mkdirSync(disk);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', disk]);
    sys = await startSystem({ quiet: true, dataDir });
  });
  afterAll(async () => {
    await sys?.stop();
    execFileSync('umount', ['--lazy', disk]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers its writes 503 and serves its reads while the disk is full, and takes the same write once there is room', async () => {
    const { id: postId } = (await (await write('/posts/create', { title: 'On a small disk' }, 'post-1')).json()) as { id: string };
    expect((await write(`/posts/${postId}/comments`, { content: 'before it filled' }, 'c-1')).status).toBe(201);
    await until('the comment moderated', async () => {
      const comments = (await (await fetch(ingress(`/posts/${postId}/comments`))).json()) as Array<{ status: string }>;
      return comments.length === 1 && comments[0].status === 'approved';
    });

    const fd = openSync(filler, 'w');
    try {
      for (;;) writeSync(fd, Buffer.alloc(64 * 1024));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    } finally {
      closeSync(fd);
    }
    let refused: Response | undefined;
    for (let i = 0; i < 50 && !refused; i++) {
      const res = await write(`/posts/${postId}/comments`, { content: `while full ${i} ${'words '.repeat(150)}` }, `full-${i}`);
      if (res.status !== 201) refused = res;
    }
    expect(refused?.status).toBe(503);
    expect(((await refused!.json()) as { error: { code: string } }).error.code).toMatch(/^(unavailable|outcome_unknown)$/);
    const reads = await fetch(ingress(`/posts/${postId}/comments`));
    expect(reads.status).toBe(200);

    rmSync(filler);
    // The refused write again, with its key: taken now, once.
    const again = await until('the write taken once there is room', async () => {
      const res = await write(`/posts/${postId}/comments`, { content: 'after the room came back' }, 'after-1');
      return res.status === 201 ? res : undefined;
    });
    const { id } = (await again.json()) as { id: string };
    await until('every comment moderated, each once', async () => {
      const comments = (await (await fetch(ingress(`/posts/${postId}/comments`))).json()) as Array<{ id: string; status: string }>;
      return (
        comments.filter((c) => c.id === id).length === 1 &&
        comments.every((c) => c.status !== 'pending') &&
        new Set(comments.map((c) => c.id)).size === comments.length
      );
    });
  }, 120_000);
});
