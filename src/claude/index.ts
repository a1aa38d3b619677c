/**
 * ams-otel/claude: Claude Agent SDK instrumentation.
 * - tracedQuery(): drop-in for query();
 * - instrumentOptions() + ClaudeTracer: for hand-rolled loops, streaming input, multi-turn runs.
 * Named exports only; test/package-surface.test.ts fails when this list changes.
 */
export { tracedQuery } from './traced-query.js';
export type { TracedQuery, TracedQueryParams } from './traced-query.js';
export { instrumentOptions } from './instrument.js';
export { ClaudeTracer } from './tracer.js';
export type { ClaudeTracerOptions, FinishOutcome } from './tracer.js';
export type { ClaudeTracingOptions } from './config.js';
