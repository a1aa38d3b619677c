/**
 * The failure taxonomy: what failed (tool / model / retrieval / orchestration) and a short code
 * (timeout, schema, rate_limit, ...). recordFailure() adds an `ams.failure` span event; the
 * assembler turns it into a `failure` session event. Generic steps that throw record one for you.
 */
import { trace } from '@opentelemetry/api';
import type { HrTime, Span } from '@opentelemetry/api';
import type { FailureCategory } from '../session/types.js';
import * as sc from '../spans/semconv.js';
import { truncate } from '../emitter/text.js';
import { now, safely } from './values.js';

export type { FailureCategory };

export interface FailureInfo {
  /** What failed. */
  type: FailureCategory;
  /** Short machine code; default: classified from `error`, else 'error'. */
  code?: string;
  message?: string;
  /** The step (name) it belongs to; default: none. */
  step?: string;
  /** Attempt number of that step, for retries (1 = first try). */
  attempt?: number;
  /** The error, if any: classified into a code and recorded as the span's exception. */
  error?: unknown;
}

/** Longest failure message kept on the span. */
const MAX_MESSAGE = 2000;

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  status?: unknown;
  statusCode?: unknown;
  response?: { status?: unknown };
  cause?: unknown;
}

function httpStatus(e: ErrorLike): number | undefined {
  for (const v of [e.status, e.statusCode, e.response?.status]) {
    if (typeof v === 'number' && v >= 100 && v < 600) return v;
  }
  return undefined;
}

/**
 * Classifies an error into a failure code: timeout, schema, rate_limit, overloaded, auth, aborted,
 * network, http_<status>, or error. Looks at name, code, HTTP status and message, then the cause.
 */
export function classifyError(error: unknown, depth = 0): string {
  if (!error || typeof error !== 'object') {
    return typeof error === 'string' && /time(?:d)?[\s_-]?out/i.test(error) ? 'timeout' : 'error';
  }
  const e = error as ErrorLike;
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  const status = httpStatus(e);
  if (name === 'TimeoutError' || /TIMEDOUT|TIMEOUT/.test(code) || status === 408 || status === 504 || /\btime(?:d)?[\s_-]?out\b/i.test(message)) return 'timeout';
  if (name === 'AbortError' || code === 'ABORT_ERR') return 'aborted';
  if (
    /^(?:ZodError|ValidationError|SchemaError|ValiError|TypeBoxError|AjvError|StructError)$/.test(name) ||
    (name === 'SyntaxError' && /JSON/i.test(message)) ||
    /\b(?:schema|validation failed|failed to validate|invalid json|unexpected token .* json|output_parse)/i.test(message)
  ) {
    return 'schema';
  }
  if (status === 429 || /rate[\s_-]?limit/i.test(message) || name === 'RateLimitError') return 'rate_limit';
  if (status === 529 || /overloaded/i.test(message)) return 'overloaded';
  if (status === 401 || status === 403 || name === 'AuthenticationError' || name === 'PermissionDeniedError') return 'auth';
  if (/^(?:ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EPIPE|UND_ERR_SOCKET|ENETUNREACH)$/.test(code)) return 'network';
  if (status !== undefined) return `http_${status}`;
  if (depth < 3 && e.cause !== undefined) {
    const inner = classifyError(e.cause, depth + 1);
    if (inner !== 'error') return inner;
  }
  return 'error';
}

export function errorMessageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  try {
    return String(error);
  } catch {
    return 'error';
  }
}

/** Adds the failure event to `span` (no-op on a non-recording span). */
/** `time`: when it happened (default now; logEvent() passes the logged event's end). */
export function addFailure(span: Span, failure: FailureInfo, time: HrTime = now()): void {
  safely('recordFailure', () => {
    if (!span.isRecording()) return;
    const code = failure.code ?? (failure.error !== undefined ? classifyError(failure.error) : 'error');
    const message = failure.message ?? (failure.error !== undefined ? errorMessageOf(failure.error) : undefined);
    const attrs: Record<string, string | number> = { [sc.AMS_FAILURE_TYPE]: failure.type, [sc.AMS_FAILURE_CODE]: code };
    if (message) attrs[sc.AMS_FAILURE_MESSAGE] = truncate(message, MAX_MESSAGE).value;
    if (failure.error instanceof Error) attrs[sc.ERROR_TYPE] = failure.error.name || 'Error';
    if (failure.step) attrs[sc.AMS_FAILURE_STEP] = failure.step;
    if (failure.attempt !== undefined && Number.isInteger(failure.attempt) && failure.attempt >= 1) attrs[sc.AMS_FAILURE_ATTEMPT] = failure.attempt;
    span.addEvent(sc.EVENT_FAILURE, attrs, time);
  });
}

/**
 * Records a classified failure on the active span (the current step, tool call, LLM call or
 * session). Outside any span it does nothing. Never throws.
 */
export function recordFailure(failure: FailureInfo): void {
  safely('recordFailure', () => {
    const span = trace.getActiveSpan();
    if (span) addFailure(span, failure);
  });
}
