// The service kit: what every posts.com service does the same way. It knows nothing of the bus.
export { createServiceApp, type Attachment, type ServiceAppOptions } from './app';
export { backoff, sleep } from './backoff';
export { env, loadConfig } from './config';
export { newResourceId, publicJson, text } from './edge';
export { errorHandler, HttpError, notFound } from './errors';
export { health } from './health';
export { createLogger, requestLogger, type Logger } from './log';
export { httpMetrics, metric, metricsRegistry, serveMetrics } from './metrics';
export { runService, serve, type RunOptions, type ServeOptions } from './run';
export { sseEvents, sseFrame, sseStreams, type SseOptions, type SseReader, type SseStreams } from './sse';
export { z } from 'zod';
