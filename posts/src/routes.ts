import express, { type Router } from 'express';
import type { Bus } from '@posts/bus-client';
import { LONGEST_TITLE, PostCreated } from '@posts/contracts';
import { recordedAfterPublish } from '@posts/db';
import { newResourceId, publicJson, text, z } from '@posts/kit';
import type { Db } from './schema';
import { addPost, allPosts, postById } from './store';

const newPost = z.strictObject({ title: text(LONGEST_TITLE) });

export function postRoutes(bus: Bus, db: Db): Router {
  const router = express.Router();

  // The post exists once the log holds PostCreated: 201 only after the bus stored it.
  router.post('/posts/create', publicJson(), async (req, res) => {
    const { title } = newPost.parse(req.body);
    const post = { id: newResourceId(req, 'post'), title };
    const { seq } = await bus.publish(PostCreated, post, { requestId: req.id });
    await addPost(db, post, seq).catch(recordedAfterPublish);
    // A retry with the same Idempotency-Key answers the post as first stored.
    res.status(201).json(await postById(db, post.id));
  });

  router.get('/posts', async (_req, res) => {
    res.json(await allPosts(db));
  });

  return router;
}
