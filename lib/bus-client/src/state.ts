/** How far a state has taken the log: the last seq applied, and the id of the log it was built from. */
export interface Checkpoint {
  seq: number;
  logId?: string;
}

/**
 * Where a subscriber keeps what it applies. A transaction moves the checkpoint together with the effects
 * of the events it applies, so a crash anywhere leaves both or neither: each event takes effect once.
 */
export interface StateStore<Tx = unknown> {
  /** Where the state stands; seq 0 for a state that holds nothing yet. */
  checkpoint(): Promise<Checkpoint>;
  /** Runs `work` and moves the checkpoint to `to`, in one transaction. */
  transaction(to: Checkpoint, work: (tx: Tx) => Promise<void>): Promise<void>;
  /** Empties the state, back to seq 0: it is rebuilt from the log. */
  reset(): Promise<void>;
  /** What it is kept in and the bytes that takes, for the console; a state kept in memory has nothing to say. */
  describe?(): Promise<{ kind: string; bytes: number }>;
}

/** A checkpoint kept only as long as the process: for state that lives in memory and is rebuilt at every start. */
export function memoryState(): StateStore<undefined> {
  let at: Checkpoint = { seq: 0 };
  return {
    checkpoint: async () => at,
    async transaction(to, work) {
      await work(undefined);
      at = to;
    },
    async reset() {
      at = { seq: 0 };
    },
  };
}
