import express, { type Router } from 'express';
import type { Bus, Subscriber } from '@posts/bus-client';
import { CommentCreated, LONGEST_COMMENT } from '@posts/contracts';
import { recordedAfterPublish } from '@posts/db';
import { HttpError, newResourceId, publicJson, text, z } from '@posts/kit';
import type { Comment } from '@posts/contracts';
import type { Db } from './schema';
import { addComment, commentById, commentsOf, hasPost } from './store';

const postId = z.string().min(1).max(100);
// Comments may run over lines; titles may not.
const newComment = z.strictObject({ content: text(LONGEST_COMMENT, { multiline: true }) });

export function commentRoutes(bus: Bus, subscriber: Subscriber, db: Db): Router {
  const router = express.Router();

  /** A post we haven't heard of may be in the log already: catch up before saying 404. */
  async function requirePost(id: string) {
    if (!(await hasPost(db, id))) await subscriber.catchUp();
    if (!(await hasPost(db, id))) throw new HttpError(404, 'post_not_found', `There is no post ${id}.`);
  }

  router.get('/posts/:id/comments', async (req, res) => {
    const id = postId.parse(req.params.id);
    await requirePost(id);
    res.json(await commentsOf(db, id));
  });

  router.post('/posts/:id/comments', publicJson(), async (req, res) => {
    const id = postId.parse(req.params.id);
    const { content } = newComment.parse(req.body);
    await requirePost(id);
    const requestId = req.id;
    const comment: Comment = { id: newResourceId(req, `comment\n${id}`), postId: id, content, status: 'pending' };
    const { seq } = await bus.publish(CommentCreated, comment, { requestId });
    await addComment(db, comment, seq, requestId).catch(recordedAfterPublish);
    // A retry with the same Idempotency-Key answers the comment as it is now.
    res.status(201).json((await commentById(db, comment.id)) ?? comment);
  });

  return router;
}
