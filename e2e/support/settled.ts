import type { ReadModel } from './read-model';
import type { Writers } from './writers';

/**
 * What keeps the read model from holding every write the writers had accepted exactly once, settled as moderation
 * decided, and nothing they were refused: an empty list when it does. Each run's texts start with its name.
 */
export function unsettled(model: ReadModel, writers: Writers[]): string[] {
  const problems: string[] = [];
  const posts = Object.values(model);
  const comments = posts.flatMap((p) => p.comments.map((c) => ({ ...c, postId: p.id })));
  for (const w of writers) {
    const ours = (text: string) => text.startsWith(`${w.run} `);
    for (const [id, title] of w.posts) if (model[id]?.title !== title) problems.push(`post ${id} missing`);
    for (const [id, c] of w.comments) {
      const found = comments.filter((x) => x.id === id);
      if (found.length !== 1) problems.push(`comment ${id} appears ${found.length} times`);
      else if (found[0].postId !== c.postId || found[0].status !== c.status) problems.push(`comment ${id} is ${found[0].status} on ${found[0].postId}`);
    }
    // A write stored twice under two ids, or a refused one stored after all, shows as one more text of this run.
    const storedPosts = posts.filter((p) => ours(p.title)).length;
    const storedComments = comments.filter((c) => ours(c.content)).length;
    if (storedPosts !== w.posts.size) problems.push(`${storedPosts} posts of ${w.run} stored, ${w.posts.size} accepted`);
    if (storedComments !== w.comments.size) problems.push(`${storedComments} comments of ${w.run} stored, ${w.comments.size} accepted`);
  }
  for (const c of comments) if (c.status === 'pending') problems.push(`comment ${c.id} still pending`);
  return problems;
}
