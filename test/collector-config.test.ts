/**
 * A collector binary cannot run here, so the configs are checked structurally: every pipeline
 * names defined components, memory_limiter comes first, the ams exporter points at the receiver's
 * default port and path, and the scale-out tiers agree with each other.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RECEIVER_CONFIG } from '../receiver/options.js';
import { TRACES_PATH } from '../receiver/index.js';
import { LOGS_PATH } from '../receiver/app.js';

interface Pipeline {
  receivers?: string[];
  processors?: string[];
  exporters?: string[];
}
interface CollectorConfig {
  receivers?: Record<string, unknown>;
  processors?: Record<string, unknown>;
  exporters?: Record<string, Record<string, unknown> | null>;
  connectors?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
  service: { extensions?: string[]; pipelines: Record<string, Pipeline> };
}

const load = (name: string): CollectorConfig => parse(readFileSync(new URL(`../${name}`, import.meta.url), 'utf8')) as CollectorConfig;
const FILES = ['otel-collector-config.yaml', 'otel-collector-config.loadbalancing.yaml', 'otel-collector-config.claude-code.yaml', 'otel-collector-config.ams-tier.yaml'];
const RECEIVER_PORT = RECEIVER_CONFIG.port.default;

/** Component ids are `type` or `type/name`; the type must be one the contrib distribution ships. */
const KNOWN_TYPES = new Set(['otlp', 'otlphttp', 'memory_limiter', 'batch', 'datadog', 'loadbalancing', 'load_balancing', 'health_check']);
const typeOf = (id: string): string => id.split('/', 1)[0]!;

describe.each(FILES)('%s', (file) => {
  const config = load(file);

  it('every pipeline references defined components, memory_limiter first', () => {
    const connectors = Object.keys(config.connectors ?? {});
    const pipelines = Object.entries(config.service.pipelines);
    expect(pipelines.length).toBeGreaterThan(0);
    for (const [name, p] of pipelines) {
      expect(p.receivers?.length, `${name} has receivers`).toBeGreaterThan(0);
      expect(p.exporters?.length, `${name} has exporters`).toBeGreaterThan(0);
      for (const r of p.receivers!) expect([...Object.keys(config.receivers ?? {}), ...connectors], `${name}: receiver ${r}`).toContain(r);
      for (const x of p.processors ?? []) expect(Object.keys(config.processors ?? {}), `${name}: processor ${x}`).toContain(x);
      for (const e of p.exporters!) expect([...Object.keys(config.exporters ?? {}), ...connectors], `${name}: exporter ${e}`).toContain(e);
      expect(p.processors?.[0], `${name}: memory_limiter first`).toBe('memory_limiter');
      // A pipeline's type (traces/metrics/logs) is the part before the slash.
      expect(['traces', 'metrics', 'logs']).toContain(name.split('/', 1)[0]);
    }
    for (const ext of config.service.extensions ?? []) expect(Object.keys(config.extensions ?? {})).toContain(ext);
  });

  it('defines nothing it does not use, and only known component types', () => {
    const used = new Set<string>();
    for (const p of Object.values(config.service.pipelines)) for (const id of [...(p.receivers ?? []), ...(p.processors ?? []), ...(p.exporters ?? [])]) used.add(id);
    for (const id of [...Object.keys(config.receivers ?? {}), ...Object.keys(config.processors ?? {}), ...Object.keys(config.exporters ?? {}), ...Object.keys(config.connectors ?? {})]) {
      expect(used, `${id} is used by a pipeline`).toContain(id);
    }
    for (const id of [...Object.keys(config.receivers ?? {}), ...Object.keys(config.processors ?? {}), ...Object.keys(config.exporters ?? {}), ...Object.keys(config.extensions ?? {})]) {
      expect(KNOWN_TYPES, `component type of ${id}`).toContain(typeOf(id));
    }
    for (const id of Object.keys(config.connectors ?? {})) expect(typeOf(id)).toBe('datadog');
  });

  it('uses only ${env:NAME} placeholders (the collector syntax)', () => {
    const text = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
    for (const m of text.matchAll(/\$\{([^}]*)\}/g)) expect(m[1]).toMatch(/^env:[A-Z_][A-Z0-9_]*(:-[^}]*)?$/);
  });
});

describe('wiring between the configs and the receiver', () => {
  it('fan-out: one traces pipeline feeds the receiver, Honeycomb and Datadog at once', () => {
    const c = load('otel-collector-config.yaml');
    const traces = c.service.pipelines.traces!;
    expect(traces.receivers).toEqual(['otlp']);
    expect(traces.processors).toEqual(['memory_limiter', 'batch']);
    expect(traces.exporters).toEqual(expect.arrayContaining(['otlphttp/ams', 'otlphttp/honeycomb', 'datadog']));
    expect(c.exporters!['otlphttp/honeycomb']).toMatchObject({ endpoint: 'https://api.honeycomb.io', headers: { 'x-honeycomb-team': '${env:HONEYCOMB_API_KEY}' } });
    expect(c.exporters!.datadog).toMatchObject({ api: { key: '${env:DD_API_KEY}' } });
  });

  it('fan-out: a logs pipeline feeds the receiver (it joins log events to their sessions)', () => {
    const c = load('otel-collector-config.yaml');
    const logs = c.service.pipelines.logs!;
    expect(logs.receivers).toEqual(['otlp']);
    expect(logs.processors).toEqual(['memory_limiter', 'batch']);
    expect(logs.exporters).toContain('otlphttp/ams');
    // otlphttp appends /v1/logs to the same bare endpoint: the receiver's logs route.
    expect(LOGS_PATH).toBe('/v1/logs');
  });

  it.each(['otel-collector-config.yaml', 'otel-collector-config.ams-tier.yaml'])('%s: the ams exporter reaches the receiver on its default port and path', (file) => {
    const ams = load(file).exporters!['otlphttp/ams']!;
    const url = new URL(ams.endpoint as string);
    expect(url.protocol).toBe('http:');
    expect(url.hostname).toBe(RECEIVER_CONFIG.host.default);
    expect(Number(url.port)).toBe(RECEIVER_PORT);
    // otlphttp appends /v1/traces to a bare endpoint: that is the receiver's route.
    expect(url.pathname).toBe('/');
    expect(TRACES_PATH).toBe('/v1/traces');
    expect(ams).toMatchObject({ compression: 'gzip', headers: { authorization: 'Bearer ${env:AMS_RECEIVER_TOKEN}' }, retry_on_failure: { enabled: true } });
  });

  it('scale-out: load balancing by trace id to the ams tier, whose OTLP/gRPC port it targets', () => {
    const front = load('otel-collector-config.loadbalancing.yaml');
    const lb = front.exporters!['loadbalancing/ams'] as { routing_key: string; protocol: { otlp: unknown }; resolver: { static: { hostnames: string[] } } };
    expect(lb.routing_key).toBe('traceID');
    expect(lb.protocol.otlp).toBeDefined();
    expect(lb.resolver.static.hostnames.length).toBeGreaterThan(1);
    // No batch processor before the load balancer.
    expect(front.service.pipelines['traces/ams']!.processors).toEqual(['memory_limiter']);
    const tier = load('otel-collector-config.ams-tier.yaml');
    const grpc = (tier.receivers!.otlp as { protocols: { grpc: { endpoint: string } } }).protocols.grpc.endpoint;
    expect(grpc.split(':').pop()).toBe('4317');
  });

  it('scale-out: log events take the same trace-id route as their spans, and the ams tier hands both to the receiver', () => {
    const front = load('otel-collector-config.loadbalancing.yaml');
    const logs = front.service.pipelines['logs/ams']!;
    expect(logs.exporters).toEqual(front.service.pipelines['traces/ams']!.exporters);
    expect(logs.processors).toEqual(['memory_limiter']);
    const tier = load('otel-collector-config.ams-tier.yaml');
    expect(tier.service.pipelines.logs!.exporters).toEqual(tier.service.pipelines.traces!.exporters);
  });

  it('scale-out for Claude Code fleets: traces and logs routed by session.id (routing_key attributes), to the same ams tier', () => {
    const front = load('otel-collector-config.claude-code.yaml');
    const lb = front.exporters!['load_balancing/ams'] as { routing_key: string; routing_attributes: string[]; protocol: { otlp: unknown }; resolver: { static: { hostnames: string[] } } };
    expect(lb.routing_key).toBe('attributes');
    expect(lb.routing_attributes).toEqual(['session.id']);
    expect(front.service.pipelines['traces/ams']!.exporters).toEqual(['load_balancing/ams']);
    expect(front.service.pipelines['logs/ams']!.exporters).toEqual(['load_balancing/ams']);
    const traceRouted = load('otel-collector-config.loadbalancing.yaml').exporters!['loadbalancing/ams'] as { resolver: unknown; protocol: unknown };
    expect(lb.resolver).toEqual(traceRouted.resolver);
    expect(lb.protocol).toEqual(traceRouted.protocol);
  });
});
