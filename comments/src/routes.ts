import express, { type Router } from 'express';
import type { Bus, Subscriber } from '@posts/bus-client';
import { CommentCreated, LONGEST_COMMENT } from '@posts/contracts';
import { HttpError, newResourceId, publicJson, text, z } from '@posts/kit';
import type { Comment } from '@posts/contracts';
import type { Store } from './store';

const postId = z.string().min(1).max(100);
// Comments may run over lines; titles may not.
const newComment = z.strictObject({ content: text(LONGEST_COMMENT, { multiline: true }) });

export function commentRoutes(bus: Bus, subscriber: Subscriber, store: Store): Router {
  const router = express.Router();

  /** A post we haven't heard of may be in the log already: catch up before saying 404. */
  async function requirePost(id: string) {
    if (!store.hasPost(id)) await subscriber.catchUp();
    if (!store.hasPost(id)) throw new HttpError(404, 'post_not_found', `There is no post ${id}.`);
  }

  router.get('/posts/:id/comments', async (req, res) => {
    const id = postId.parse(req.params.id);
    await requirePost(id);
    res.json(store.commentsOf(id));
  });

  router.post('/posts/:id/comments', publicJson(), async (req, res) => {
    const id = postId.parse(req.params.id);
    const { content } = newComment.parse(req.body);
    await requirePost(id);
    const requestId = req.id;
    const comment: Comment = { id: newResourceId(req, `comment\n${id}`), postId: id, content, status: 'pending' };
    const { seq } = await bus.publish(CommentCreated, comment, { requestId });
    store.addComment(comment, seq, requestId);
    // A retry with the same Idempotency-Key answers the comment as it is now.
    res.status(201).json(store.commentById(comment.id) ?? comment);
  });

  return router;
}
