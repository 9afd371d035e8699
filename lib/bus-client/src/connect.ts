import { z } from 'zod';
import { Bus, type BusOptions } from './bus';
import { HttpTransport } from './http-transport';
import type { BusTransport } from './transport';

/** The transports the SDK has, by the scheme of `EVENT_BUS_URL`. */
const transports: Record<string, (url: string) => BusTransport> = {
  'http:': (url) => new HttpTransport(url),
  'https:': (url) => new HttpTransport(url),
};

/** `EVENT_BUS_URL` in a service's config: a URL whose scheme names a transport the SDK has. */
export const busUrl = (defaultUrl: string) =>
  z
    .string()
    .trim()
    .default(defaultUrl)
    .refine((value) => URL.canParse(value) && new URL(value).protocol in transports, {
      message: `must be a URL with a scheme the bus SDK speaks (${Object.keys(transports).join(', ')})`,
    });

/** A bus over the transport that `url`'s scheme names. */
export function connectBus(url: string, options?: BusOptions): Bus {
  const transport = URL.canParse(url) ? transports[new URL(url).protocol] : undefined;
  if (!transport) throw new Error(`no bus transport for ${url}`);
  return new Bus(transport(url), options);
}
