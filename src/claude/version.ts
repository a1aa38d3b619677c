/** Instrumentation scope of the spans this package emits. Keep in step with package.json. */
export const INSTRUMENTATION_NAME = 'ams-otel/claude';
export const INSTRUMENTATION_VERSION = '0.1.0';
