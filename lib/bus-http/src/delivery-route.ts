// How a subscriber's server tells a bus delivery from its own requests. It imports nothing, so a service's
// tracing can load it before http and express are instrumented.

/** A bus delivery, `POST /events` on the subscriber's server: traced per event, as `process <type>`, not as a request. */
export const isDelivery = (req: { method?: string; url?: string }) => req.method === 'POST' && req.url === '/events';
