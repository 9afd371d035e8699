import { on, z, type SubscriberOptions } from 'event-bus/client';
import type { Store } from './store';

export const postCreated = z.object({ id: z.string().min(1), title: z.string() });

export function handlers(store: Store): SubscriberOptions['handlers'] {
  return {
    PostCreated: on(postCreated, (post) => store.addPost(post)),
  };
}
