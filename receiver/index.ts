/** `ams-otel/receiver`: the OTLP/HTTP receiver. Named exports only. */
export { createReceiver, TRACES_PATH } from './app.js';
export type { ListeningReceiver, ReceiverApp, ReceiverControls } from './app.js';
export { startReceiver } from './server.js';
export type { RunningReceiver } from './server.js';
export { RECEIVER_CONFIG, resolveReceiverOptions } from './options.js';
export type { ReceiverOptions, ResolvedReceiverOptions, SessionWrittenEvent } from './options.js';
export type { PipelineStats } from './pipeline.js';
