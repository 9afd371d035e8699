// The bus client SDK's core. Services publish events and apply the log through a Bus; how the log is reached
// (the transport) is chosen by the URL's scheme among the transport packages the service imports
// (@posts/bus-http, @posts/bus-jetstream), and no service sees it.
export { Bus, type BusOptions } from './bus';
export { busConfig, busSecret, connectBus, registerTransport, type BusSettings, type TransportKind, type TransportOptions } from './connect';
export { BusUnavailableError, describeError, EventRefusedError, InvalidDeliveryError, LogReplacedError, SeqAheadOfLogError, UnauthorizedError } from './errors';
export { deliverySchema, eventSchema, MAX_EVENT_BYTES, TRACEPARENT, type BusEvent, type NewEvent, type PubAck } from './events';
export type { EventType } from './event-type';
export { MemoryTransport } from './memory-transport';
export { runSubscribedService, serviceConfig, type SubscribedServiceOptions } from './service';
export { memoryState, type Checkpoint, type StateStore } from './state';
export type { StateView } from './state-route';
export { on, Subscriber, type Handler, type SubscriberOptions } from './subscriber';
export { subscriptionMetrics } from './subscription-metrics';
export type { BusTransport, DeliveryTarget, LogPage, LogPosition, SubscriptionState } from './transport';
