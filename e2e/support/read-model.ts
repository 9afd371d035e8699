/** A comment as `GET /posts` shows it. */
export interface Comment {
  id: string;
  content: string;
  status: string;
}

/** What `GET /posts` answers: every post by id, its comments oldest first. */
export type ReadModel = Record<string, { id: string; title: string; comments: Comment[] }>;
