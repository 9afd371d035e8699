import type { z } from 'zod';

/**
 * One kind of event: its type on the wire, the schema its data must meet, and the id an event
 * of it gets from its data. The id is deterministic where the event is a reaction, so paying it
 * twice stores it once.
 */
export interface EventContract<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly schema: z.ZodType<Data, unknown>;
  idOf(data: Data): string;
}

export function defineEvent<Type extends string, Data>(type: Type, schema: z.ZodType<Data, unknown>, idOf: (data: Data) => string): EventContract<Type, Data> {
  return { type, schema, idOf };
}

/** The data an event of this kind carries. */
export type DataOf<C> = C extends EventContract<string, infer Data> ? Data : never;
