// The bus client SDK. Services publish events and apply the log through a Bus; how the log is
// reached (the transport) is chosen by the URL's scheme, and no service sees it.
export { Bus, type BusOptions } from './bus';
export { busConfig, connectBus, type BusSettings } from './connect';
export type { EventType } from './event-type';
export { BusUnavailableError, describeError, EventRefusedError, InvalidDeliveryError, LogReplacedError, SeqAheadOfLogError, UnauthorizedError } from './errors';
export { HttpTransport, type HttpTransportOptions } from './http-transport';
export type { BusEvent, NewEvent, PubAck } from './protocol';
export { on, Subscriber, type Handler, type SubscriberOptions } from './subscriber';
export type { BusTransport, DeliveryTarget, LogPage, LogPosition, SubscriptionState } from './transport';
