/**
 * OTLP metrics (POST /v1/metrics): checked and counted, not kept. Session documents take their
 * totals (tokens, cost, durations) from spans and log events; metrics add nothing a session needs,
 * so the receiver acknowledges them (a user who points every exporter at it sees no errors) and
 * counts their data points. The walk goes down to the data points with the readers of records.ts,
 * so a body of the wrong shape gets the same 400 as a malformed trace request.
 */
import { asArray, asObject, asString, checkUnknowns, field, toAttributes, withConversion, within } from './records.js';
import type { OtlpConversionOptions, OtlpMessageKind } from './records.js';

/** Metric.data members, as OTLP/JSON and proto names, and their message kind. */
const DATA_KINDS: ReadonlyArray<{ camel: string; snake: string; kind: OtlpMessageKind; point: OtlpMessageKind }> = [
  { camel: 'gauge', snake: 'gauge', kind: 'Gauge', point: 'NumberDataPoint' },
  { camel: 'sum', snake: 'sum', kind: 'Sum', point: 'NumberDataPoint' },
  { camel: 'histogram', snake: 'histogram', kind: 'Histogram', point: 'HistogramDataPoint' },
  { camel: 'exponentialHistogram', snake: 'exponential_histogram', kind: 'ExponentialHistogram', point: 'ExponentialHistogramDataPoint' },
  { camel: 'summary', snake: 'summary', kind: 'Summary', point: 'SummaryDataPoint' },
];

/** Data points in one ExportMetricsServiceRequest; throws OtlpShapeError when its shape is wrong. */
export function countMetricDataPoints(request: unknown, options: OtlpConversionOptions = {}): number {
  return withConversion(options, () => count(request));
}

function count(request: unknown): number {
  const req = asObject(request, '');
  if (req === undefined) return 0;
  checkUnknowns(req, 'ExportMetricsServiceRequest');
  let points = 0;
  const resourceMetrics = asArray(field(req, 'resourceMetrics', 'resource_metrics'), '.resourceMetrics');
  for (let r = 0; r < resourceMetrics.length; r++) {
    try {
      const rm = asObject(resourceMetrics[r], '');
      if (rm === undefined) continue;
      checkUnknowns(rm, 'ResourceMetrics');
      const resource = asObject(rm.resource, '.resource');
      if (resource) checkUnknowns(resource, 'Resource');
      const scopeMetrics = asArray(field(rm, 'scopeMetrics', 'scope_metrics'), '.scopeMetrics');
      for (let s = 0; s < scopeMetrics.length; s++) {
        try {
          const sm = asObject(scopeMetrics[s], '');
          if (sm === undefined) continue;
          checkUnknowns(sm, 'ScopeMetrics');
          const metrics = asArray(sm.metrics, '.metrics');
          for (let m = 0; m < metrics.length; m++) {
            try {
              points += countMetric(asObject(metrics[m], ''));
            } catch (err) {
              throw within(err, `.metrics[${m}]`);
            }
          }
        } catch (err) {
          throw within(err, `.scopeMetrics[${s}]`);
        }
      }
    } catch (err) {
      throw within(err, `.resourceMetrics[${r}]`);
    }
  }
  return points;
}

function countMetric(metric: Record<string, unknown> | undefined): number {
  if (metric === undefined) return 0;
  checkUnknowns(metric, 'Metric');
  asString(metric.name, '.name');
  let points = 0;
  for (const d of DATA_KINDS) {
    const data = asObject(field(metric, d.camel, d.snake), `.${d.camel}`);
    if (data === undefined) continue;
    try {
      checkUnknowns(data, d.kind);
      const list = asArray(field(data, 'dataPoints', 'data_points'), '.dataPoints');
      for (let i = 0; i < list.length; i++) {
        try {
          const point = asObject(list[i], '');
          if (point === undefined) continue;
          checkUnknowns(point, d.point);
          toAttributes(point.attributes, '.attributes');
          points++;
        } catch (err) {
          throw within(err, `.dataPoints[${i}]`);
        }
      }
    } catch (err) {
      throw within(err, `.${d.camel}`);
    }
  }
  return points;
}
