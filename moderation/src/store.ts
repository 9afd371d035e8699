export interface AwaitingComment {
  id: string;
  postId: string;
  content: string;
  requestId?: string;
  /** Where its CommentCreated was processed: the verdict continues that trace. */
  traceparent?: string;
}

export function createStore() {
  /** Comments created but not yet moderated in the log: what we owe. */
  const awaitingModeration = new Map<string, AwaitingComment>();
  return {
    /** The verdicts we owe, oldest comment first. */
    owedVerdicts: () => [...awaitingModeration.values()],
    awaitModeration(comment: AwaitingComment) {
      awaitingModeration.set(comment.id, comment);
    },
    /** The log holds the comment's verdict: nothing more is owed for it. */
    recordVerdict(id: string) {
      awaitingModeration.delete(id);
    },
  };
}

export type Store = ReturnType<typeof createStore>;
