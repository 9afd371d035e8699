import { CommentCreated, CommentModerated, PostCreated, type DataOf } from '../src';

describe('event contracts', () => {
  it('give each event its type and a deterministic id from its data', () => {
    const verdict: DataOf<typeof CommentModerated> = { id: 'c1', postId: 'p1', content: 'hi', status: 'approved' };
    expect(CommentModerated.type).toBe('CommentModerated');
    expect(CommentModerated.idOf(verdict)).toBe('CommentModerated:c1');
    expect(PostCreated.idOf({ id: 'p1', title: 'T' })).toBe('PostCreated:p1');
  });

  it('read tolerantly: extra fields are dropped, a missing comment status means pending', () => {
    expect(CommentCreated.schema.parse({ id: 'c1', postId: 'p1', content: 'hi', extra: 1 })).toEqual({
      id: 'c1',
      postId: 'p1',
      content: 'hi',
      status: 'pending',
    });
    expect(CommentModerated.schema.safeParse({ id: 'c1', postId: 'p1', content: 'hi', status: 'maybe' }).success).toBe(false);
  });
});
