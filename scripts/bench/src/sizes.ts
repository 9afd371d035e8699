import type { Home } from './state';

/** How much each part of the bench does: the full run, and `--quick` (small, for development). */
export const FULL = {
  posts: 20,
  comments: 5_000,
  clients: [10, 50, 100],
  /** The end-to-end run judged against the goals. */
  judgedClients: 50,
  busEvents: 20_000,
  busPublishers: 50,
  catchUpEvents: 100_000,
  /** The read path: a blog of each of these many comments over `readPathPosts` posts, in the same run. */
  readPathComments: [1_000, 10_000, 100_000],
  readPathPosts: 20,
  /**
   * State in a database: a blog of each of these many comments over `readPathPosts` posts, on each home. The first is
   * the memory goal's base, the second (10,001 events) the resume goal's, the last is judged. PostgreSQL's largest is a
   * million events (333,327 comments): its backends build a few thousand events/s here, a million comments would take it most of an hour.
   */
  stateComments: { embedded: [1_000, 3_327, 1_000_000], PostgreSQL: [1_000, 3_327, 333_327] } as Record<Home, number[]>,
  /** Rounds of the judged load in each observability mode, taking turns. */
  observabilityRounds: 5,
};
export type Sizes = typeof FULL;
export const QUICK: Sizes = {
  ...FULL,
  posts: 5,
  comments: 500,
  busEvents: 2_000,
  catchUpEvents: 10_000,
  readPathComments: [1_000, 10_000],
  stateComments: { embedded: [1_000, 3_327, 20_000], PostgreSQL: [1_000, 3_327, 20_000] },
  observabilityRounds: 1,
};

/** Comments written right after start, before the measured run: JIT, connections, heaps warm up. */
export const WARMUP_COMMENTS = 1000;

/** Publishes before each timed publish run, untimed: every transport is measured warm. */
export const WARMUP_PUBLISHES = 1000;
