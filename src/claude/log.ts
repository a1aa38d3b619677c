import { diag } from '@opentelemetry/api';

/** Where the Claude instrumentation reports its own trouble (never to the caller). */
export const log = diag.createComponentLogger({ namespace: 'ams-otel/claude' });
