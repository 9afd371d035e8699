import type { z } from 'zod';

/** One kind of event, as the contracts define it: its type, its data's schema, and its id from its data. */
export interface EventType<Data = unknown> {
  readonly type: string;
  readonly schema: z.ZodType<Data, unknown>;
  idOf(data: Data): string;
}
