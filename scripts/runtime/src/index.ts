// What the bench, the ops tools and the end-to-end suites use; the load driver is `@posts/runtime/load`.
export { SERVICE_NAMES, SERVICES, type ServiceEntry, type ServiceName } from './registry';
export { DATABASE_FILE, PODS_FILE, startSystem, type Ports, type StartOptions, type System, type WorkloadName } from './launcher';
export { nodeOptionsOf, type LocalPod } from './manifests';
export { installedNatsServer, NATS_INSTALL } from './nats';
export { DEFAULT_BACKOFF, Supervisor, type Backoff, type ProcessSpec } from './supervisor';
export { ROOT } from './root';
export { freePorts } from './ports';
export { request, type Answer } from './http';
export { sleep } from './wait';
