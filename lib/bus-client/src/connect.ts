import type { Logger } from 'pino';
import { z } from 'zod';
import { Bus, type BusOptions } from './bus';
import type { BusTransport } from './transport';

/** What a transport is made with besides the URL. */
export interface TransportOptions {
  /** BUS_SECRET, for a transport that signs. */
  secret?: string;
  logger?: Logger;
  /** The service's name, for a transport that names what it keeps per service. */
  service?: string;
}

/** A kind of transport, as its package registers it: the URL schemes it speaks, and how one is made. */
export interface TransportKind {
  schemes: string[];
  /** Whether a URL may list several servers, comma-separated (a cluster). */
  servers: 'one' | 'many';
  create(url: string, options: TransportOptions): BusTransport;
}

/** The transports this process can reach a log by, by scheme: each transport package registers its own on import. */
const kinds = new Map<string, TransportKind>();

/** Makes `kind` the transport for its schemes. */
export function registerTransport(kind: TransportKind): void {
  for (const scheme of kind.schemes) kinds.set(scheme, kind);
}

/** The transport a bus URL names; a cluster's URL lists several servers, all of one scheme. */
function kindOf(url: string): TransportKind | undefined {
  const parts = url.split(',').map((part) => part.trim());
  const schemes = new Set(parts.map((part) => (URL.canParse(part) ? new URL(part).protocol : 'invalid')));
  const [scheme] = schemes;
  const kind = schemes.size === 1 ? kinds.get(scheme) : undefined;
  return kind && (parts.length === 1 || kind.servers === 'many') ? kind : undefined;
}

/** `BUS_SECRET` in a config: unset is open mode; set, long enough that it cannot be guessed. */
export const busSecret = () => z.string().min(32, 'must be at least 32 characters (`openssl rand -hex 32` makes one)').optional();

/** `EVENT_BUS_URL` in a service's config: a URL whose scheme names a transport this process registered. */
const busUrl = (defaultUrl: string) =>
  z
    .string()
    .trim()
    .default(defaultUrl)
    .refine((value) => kindOf(value) !== undefined, {
      error: () => `must be a URL with a scheme the bus SDK speaks (${[...kinds.keys()].join(', ')})`,
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

/** The service's name, which the kit's logger carries (`createLogger(service)`). */
function serviceOf(logger: Logger | undefined): string | undefined {
  const service: unknown = logger?.bindings().service;
  return typeof service === 'string' && /^[A-Za-z0-9_-]{1,40}$/.test(service) ? service : undefined;
}

/** A bus over the transport that the URL's scheme names; a bare URL (tools, tests) talks unsigned. */
export function connectBus(settings: BusSettings | string, options: BusOptions = {}): Bus {
  const { EVENT_BUS_URL: url, BUS_SECRET: secret } = typeof settings === 'string' ? { EVENT_BUS_URL: settings } : settings;
  const kind = kindOf(url);
  if (!kind) throw new Error(`no bus transport for ${url}`);
  const service = serviceOf(options.logger);
  return new Bus(kind.create(url, { secret, logger: options.logger, service }), { service, ...options });
}
