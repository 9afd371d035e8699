import type { Logger } from 'pino';
import { z } from 'zod';
import { Bus, type BusOptions } from './bus';
import { HttpTransport } from './http-transport';
import { JetStreamTransport } from './jetstream-transport';
import { busSecret } from './signing';
import type { BusTransport } from './transport';

/** What a transport is made with besides the URL. */
interface TransportOptions {
  secret?: string;
  logger?: Logger;
}

/** The transports the SDK has, by the scheme of `EVENT_BUS_URL`. */
const transports: Record<string, (url: string, options: TransportOptions) => BusTransport> = {
  'http:': (url, options) => new HttpTransport(url, options),
  'https:': (url, options) => new HttpTransport(url, options),
  // Credentials travel in the URL (nats://user:pass@host:4222,…): NATS logins stand in for BUS_SECRET.
  'nats:': (url, options) => new JetStreamTransport(url, { logger: options.logger, consumerPrefix: serviceOf(options.logger) }),
};

/** The service's name, which the kit's logger carries (`createLogger(service)`). */
function serviceOf(logger: Logger | undefined): string | undefined {
  const service: unknown = logger?.bindings().service;
  return typeof service === 'string' && /^[A-Za-z0-9_-]{1,40}$/.test(service) ? service : undefined;
}

/** The scheme of a bus URL, `http:` or `nats:`; a cluster's URL lists several servers, comma-separated, all of one scheme. */
function schemeOf(url: string): string {
  const parts = url.split(',').map((part) => part.trim());
  const schemes = new Set(parts.map((part) => (URL.canParse(part) ? new URL(part).protocol : 'invalid')));
  const [scheme] = schemes;
  if (schemes.size !== 1) return 'invalid';
  // One event bus has one address; only a NATS cluster lists its servers.
  return parts.length === 1 || scheme === 'nats:' ? scheme : 'invalid';
}

/** `EVENT_BUS_URL` in a service's config: a URL whose scheme names a transport the SDK has. */
const busUrl = (defaultUrl: string) =>
  z
    .string()
    .trim()
    .default(defaultUrl)
    .refine((value) => schemeOf(value) in transports, {
      message: `must be a URL with a scheme the bus SDK speaks (${Object.keys(transports).join(', ')})`,
    });

/**
 * The bus's settings in a service's config: `...busConfig(url)` in its `loadConfig` shape, and the
 * config handed whole to `connectBus`. The service never names them, nor knows what they are for.
 */
export const busConfig = (defaultUrl: string) => ({
  EVENT_BUS_URL: busUrl(defaultUrl),
  BUS_SECRET: busSecret(),
});

/** What `busConfig` reads. */
export interface BusSettings {
  EVENT_BUS_URL: string;
  BUS_SECRET?: string;
}

/** A bus over the transport that the URL's scheme names; a bare URL (tools, tests) talks unsigned. */
export function connectBus(settings: BusSettings | string, options: BusOptions = {}): Bus {
  const { EVENT_BUS_URL: url, BUS_SECRET: secret } = typeof settings === 'string' ? { EVENT_BUS_URL: settings } : settings;
  const transport = transports[schemeOf(url)];
  if (!transport) throw new Error(`no bus transport for ${url}`);
  return new Bus(transport(url, { secret, logger: options.logger }), { service: serviceOf(options.logger), ...options });
}
