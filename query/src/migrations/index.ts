import type { Migrations } from '@posts/db';
import * as readModel from './0001-read-model';

/** Every version of the schema, in order: a new one is a new file here, never an edit of one that shipped. */
export const migrations: Migrations = { '0001-read-model': readModel };
