// The HTTP transport to posts.com's event bus, with the bus's wire protocol and request signing, which the bus
// itself shares. Importing it registers `http:` and `https:` with the SDK's connectBus.
import { registerTransport } from '@posts/bus-client';
import { HttpTransport } from './http-transport';

registerTransport({ schemes: ['http:', 'https:'], servers: 'one', create: (url, { secret, logger }) => new HttpTransport(url, { secret, logger }) });

export { HttpTransport, type HttpTransportOptions } from './http-transport';
export { isDelivery, LOG_HEAD_HEADER, LOG_ID_HEADER, publicationSchema, publishSchema } from './protocol';
export { RequestSigner, SIGNATURE_HEADER, SIGNATURE_WINDOW_MS, SignatureGuard, type SignedParts } from './signing';
