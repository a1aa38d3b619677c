/**
 * `ams run` also sends its spans to an OpenTelemetry backend (Honeycomb, Datadog, Logfire, a
 * collector) when the standard variables ask for it: OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, with OTEL_EXPORTER_OTLP_[TRACES_]HEADERS, _PROTOCOL,
 * _TIMEOUT and _COMPRESSION read by the real OTLP exporter itself. The exporters are optional
 * peer dependencies, loaded only when one is asked for.
 */
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Env } from '../../src/config/env.js';
import { optionalDependency } from '../../src/storage/optional-dependency.js';
import { UsageError } from '../common.js';

const PROTO = '@opentelemetry/exporter-trace-otlp-proto';
const JSON_HTTP = '@opentelemetry/exporter-trace-otlp-http';
const NEEDED_BY = 'OTEL_EXPORTER_OTLP_ENDPOINT (ams run sending spans to an OTLP backend)';

const loadProto = optionalDependency(PROTO, NEEDED_BY, () => import('@opentelemetry/exporter-trace-otlp-proto'));
const loadJson = optionalDependency(JSON_HTTP, NEEDED_BY, () => import('@opentelemetry/exporter-trace-otlp-http'));

export interface OtlpTarget {
  /** Where spans go, as configured (the exporter appends /v1/traces to the base endpoint). */
  endpoint: string;
  protocol: 'http/protobuf' | 'http/json';
}

const set = (v: string | undefined): string | undefined => (v && v.trim() !== '' ? v.trim() : undefined);

/** What the environment asks for, or undefined when no endpoint is set. A gRPC protocol is refused. */
export function otlpTargetOf(env: Env): OtlpTarget | undefined {
  const endpoint = set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ?? set(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  if (!endpoint) return undefined;
  // The specification's default for OTLP is http/protobuf.
  const protocol = set(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ?? set(env.OTEL_EXPORTER_OTLP_PROTOCOL) ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new UsageError(`OTEL_EXPORTER_OTLP_PROTOCOL="${protocol}" is not supported by ams run: use http/protobuf or http/json (an OTLP/HTTP endpoint, usually port 4318)`);
  }
  return { endpoint, protocol };
}

/**
 * The exporter for `target`. It reads its endpoint, headers, timeout and compression from the
 * process environment, as every OpenTelemetry SDK does. Rejects with MissingDependencyError
 * (naming the package and `npm install`) when the exporter package is not installed.
 */
export async function otlpExporter(target: OtlpTarget): Promise<SpanExporter> {
  if (target.protocol === 'http/json') {
    const { OTLPTraceExporter } = await loadJson();
    return new OTLPTraceExporter();
  }
  const { OTLPTraceExporter } = await loadProto();
  return new OTLPTraceExporter();
}

/**
 * `exporter`, telling `report` (once) when an export fails: the SDK only logs through diag, which
 * a command line user never sees, and a wrong endpoint or key should not go unnoticed.
 */
export function reportingFailures(exporter: SpanExporter, target: OtlpTarget, report: (line: string) => void): SpanExporter {
  let reported = false;
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
      exporter.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS && !reported) {
          reported = true;
          report(`ams run: sending spans to ${target.endpoint} failed: ${result.error?.message ?? 'unknown error'} (the session is written to storage all the same)`);
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}
