import { CommentCreated } from '@posts/contracts';
import { runPublishers, type PublishedEvent } from '../src/publishers';

test('every event sent once, by one of the publishers, with its contract id; failures counted by why', async () => {
  const sent: Array<{ p: number; event: PublishedEvent }> = [];
  const figures = await runPublishers(20, 3, async (p, event) => {
    sent.push({ p, event });
    if (event.data.content.startsWith('comment 4:')) return '503';
    if (event.data.content.startsWith('comment 7:')) throw new Error('timeout');
    return undefined;
  });
  expect(figures).toMatchObject({ events: 20, publishers: 3, accepted: 18, errors: 2, errorsByStatus: { '503': 1, timeout: 1 } });
  expect(sent.map((s) => s.event.data.content).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `comment ${i}: great post`).sort());
  expect(new Set(sent.map((s) => s.p))).toEqual(new Set([0, 1, 2]));
  for (const { event } of sent)
    expect(event).toEqual({ id: CommentCreated.idOf(event.data), type: 'CommentCreated', data: CommentCreated.schema.parse(event.data) });
});
