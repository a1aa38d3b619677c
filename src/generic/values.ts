/** The generic API's clock and its guard around our own code (values become attributes in src/emitter). */
import type { HrTime } from '@opentelemetry/api';
import { diag } from '@opentelemetry/api';

const log = diag.createComponentLogger({ namespace: 'ams-otel/generic' });

let lastMs = 0;

/**
 * One clock for every span and event this API records, strictly increasing. The SDK anchors each
 * span to Date.now() separately, which lets spans started within a millisecond of each other come
 * out of order; the assembler orders events by these times, so ours come from one monotonic source.
 */
export function now(): HrTime {
  let ms = performance.timeOrigin + performance.now();
  if (ms <= lastMs) ms = lastMs + 0.001;
  lastMs = ms;
  const sec = Math.floor(ms / 1000);
  const nanos = Math.min(999_999_999, Math.round((ms - sec * 1000) * 1e6));
  return [sec, nanos];
}

let internalErrors = 0;

/** Runs our own instrumentation code: whatever it throws goes to diag, never to the caller. */
export function safely(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    internalErrors += 1;
    if (internalErrors === 1 || internalErrors % 1000 === 0) {
      log.error(`${what} failed (${internalErrors} internal error(s) so far): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
