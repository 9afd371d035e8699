import { on } from '@posts/bus-client';
import { PostCreated } from '@posts/contracts';
import type { Store } from './store';

export const handlers = (store: Store) => [on(PostCreated, (post) => store.addPost(post))];
