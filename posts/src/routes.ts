import express, { type Router } from 'express';
import type { Bus } from '@posts/bus-client';
import { LONGEST_TITLE, PostCreated } from '@posts/contracts';
import { newResourceId, publicJson, text, z } from '@posts/kit';
import type { Store } from './store';

const newPost = z.strictObject({ title: text(LONGEST_TITLE) });

export function postRoutes(bus: Bus, store: Store): Router {
  const router = express.Router();

  // The post exists once the log holds PostCreated: 201 only after the bus stored it.
  router.post('/posts/create', publicJson(), async (req, res) => {
    const { title } = newPost.parse(req.body);
    const post = { id: newResourceId(req, 'post'), title };
    await bus.publish(PostCreated, post, { requestId: req.id });
    store.addPost(post);
    // A retry with the same Idempotency-Key answers the post as first stored.
    res.status(201).json(store.postById(post.id));
  });

  router.get('/posts', (_req, res) => {
    res.json(store.allPosts());
  });

  return router;
}
