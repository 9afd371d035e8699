import express, { type Router } from 'express';
import { newResourceId, publicJson, text, z, type Bus } from 'event-bus/client';
import type { Store } from './store';

const newPost = z.strictObject({ title: text(200) });

export function postRoutes(bus: Bus, store: Store): Router {
  const router = express.Router();

  // The post exists once the log holds PostCreated: 201 only after the bus stored it.
  router.post('/posts/create', publicJson(), async (req, res) => {
    const { title } = newPost.parse(req.body);
    const post = { id: newResourceId(req, 'post'), title };
    await bus.publish({ id: `PostCreated:${post.id}`, type: 'PostCreated', data: post, requestId: req.id });
    store.addPost(post);
    // A retry with the same Idempotency-Key answers the post as first stored.
    res.status(201).json(store.postsById.get(post.id));
  });

  router.get('/posts', (_req, res) => {
    res.json(Object.fromEntries(store.postsById));
  });

  return router;
}
