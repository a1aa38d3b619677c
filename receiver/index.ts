/**
 * `ams-otel/receiver`: the OTLP/HTTP receiver as a library. Named exports only; the `ams receiver`
 * command line lives in cli/. test/package-surface.test.ts fails when this list changes.
 */
export { createReceiver, TRACES_PATH } from './app.js';
export type { ListeningReceiver, ReceiverApp, ReceiverControls } from './app.js';
export { startReceiver } from './server.js';
export type { RunningReceiver } from './server.js';
export type { ReceiverOptions, SessionWrittenEvent } from './options.js';
export type { PipelineStats } from './pipeline.js';
