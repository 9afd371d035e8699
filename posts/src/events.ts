import { on } from '@posts/bus-client';
import { PostCreated } from '@posts/contracts';
import type { Db } from './schema';
import { addPost } from './store';

export const handlers = [on(PostCreated, (post, event, tx: Db) => addPost(tx, post, event.seq))];
