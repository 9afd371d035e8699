export interface AwaitingComment {
  id: string;
  postId: string;
  content: string;
  requestId?: string;
}

export function createStore() {
  /** Comments created but not yet moderated in the log: what we owe. */
  const awaitingModeration = new Map<string, AwaitingComment>();
  return {
    awaitingModeration,
    created(comment: AwaitingComment) {
      awaitingModeration.set(comment.id, comment);
    },
    moderated(id: string) {
      awaitingModeration.delete(id);
    },
  };
}

export type Store = ReturnType<typeof createStore>;
