import { z } from 'zod';

const unsetIfEmpty = (v: unknown) => (v === '' ? undefined : v);

/**
 * Where a service keeps its projection, read once at start:
 * - `DATABASE_URL` (`postgres://…`): a PostgreSQL database of its own;
 * - else `DATABASE_PATH`: an embedded SQLite file (made with its folder when missing);
 * - else in memory: the course's behaviour, the state rebuilt from the log at every start.
 */
export function databaseConfig() {
  return {
    DATABASE_URL: z.preprocess(unsetIfEmpty, z.url({ protocol: /^postgres(ql)?$/ }).optional()),
    DATABASE_PATH: z.preprocess(unsetIfEmpty, z.string().trim().min(1).optional()),
  };
}

export interface DatabaseSettings {
  DATABASE_URL?: string;
  DATABASE_PATH?: string;
}
