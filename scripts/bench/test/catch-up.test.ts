import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommentCreated, CommentModerated, CommentUpdated, PostCreated } from '@posts/contracts';
import { writeLog } from '../src/catch-up';

test('the catch-up log: exactly the events asked for, in seq order, each valid and with its contract id', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'catch-up-'));
  try {
    const file = path.join(dir, 'events.ndjson');
    const { posts, comments } = writeLog(file, 1000);
    const events = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const contracts = new Map([PostCreated, CommentCreated, CommentModerated, CommentUpdated].map((c) => [c.type as string, c]));
    for (const e of events) {
      const contract = contracts.get(e.type)!;
      expect(e.id).toBe(contract.idOf(contract.schema.parse(e.data) as never));
    }
    const count = (type: string) => events.filter((e) => e.type === type).length;
    expect([count(PostCreated.type), count(CommentCreated.type), count(CommentModerated.type), count(CommentUpdated.type)]).toEqual([
      posts,
      comments,
      comments,
      comments,
    ]);
    expect(posts + 3 * comments).toBe(1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
