import { busConfig } from '@posts/bus-client';
// The transports EVENT_BUS_URL may name: the event bus (http:) or JetStream (nats:).
import '@posts/bus-http';
import '@posts/bus-jetstream';
import { env, z } from '@posts/kit';

const bus = busConfig('http://event-bus-srv:4005');

/** The UI server's environment, read once at start by `loadConfig`. */
export const configSchema = z.object({
  PORT: env.port(3000),
  METRICS_PORT: env.metricsPort(),
  HOST: env.host(),
  LOG_LEVEL: env.logLevel(),
  // The console reads the log here. Unset (no default), the console answers 503 and the blog is unchanged.
  EVENT_BUS_URL: z.union([z.undefined(), bus.EVENT_BUS_URL]),
  BUS_SECRET: bus.BUS_SECRET,
  // Where the console watches the read model (query's live stream) to see when a change became visible.
  QUERY_URL: z.url({ protocol: /^https?$/ }).default('http://query-srv:4002'),
  // Each service's address by its name: the console shows a subscriber as its service, never its address.
  SERVICE_URLS: env
    .list(['posts=http://posts-srv:4000', 'comments=http://comments-srv:4001', 'query=http://query-srv:4002', 'moderation=http://moderation-srv:4003'])
    .pipe(z.array(z.string().regex(/^[a-z][a-z0-9-]*=https?:\/\/\S+$/, 'must be name=URL, comma-separated')))
    .transform((pairs) => Object.fromEntries(pairs.map((pair) => pair.split(/=(.*)/s, 2) as [string, string]))),
});

export type Config = z.infer<typeof configSchema>;
