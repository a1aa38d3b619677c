/**
 * A tiny loopback OTLP/HTTP capture server: accepts POST /v1/traces, /v1/logs and /v1/metrics and
 * keeps every request as it arrived (JSON parsed; protobuf only as size and content type), so a
 * probe can see exactly what an exporter sends without any decoding of ours in between.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';

export type OtlpSignal = 'traces' | 'logs' | 'metrics';

export interface CapturedRequest {
  signal: OtlpSignal | 'other';
  path: string;
  contentType: string;
  contentEncoding: string | null;
  /** Bytes on the wire (before gunzip). */
  size: number;
  /** Parsed body for JSON requests; null for protobuf or unparseable bodies. */
  json: unknown;
  /** Decompressed body bytes (protobuf included), for callers that want to decode it themselves. */
  raw: Buffer;
  at: number;
}

export interface OtlpCapture {
  /** `http://127.0.0.1:<port>` (use as OTEL_EXPORTER_OTLP_ENDPOINT). */
  url: string;
  requests: CapturedRequest[];
  of(signal: OtlpSignal): CapturedRequest[];
  close(): Promise<void>;
}

const SIGNALS: Record<string, OtlpSignal> = { '/v1/traces': 'traces', '/v1/logs': 'logs', '/v1/metrics': 'metrics' };

export async function startOtlpCapture(): Promise<OtlpCapture> {
  const requests: CapturedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const wire = Buffer.concat(chunks);
      const path = (req.url ?? '').split('?')[0];
      const contentType = String(req.headers['content-type'] ?? '');
      const contentEncoding = req.headers['content-encoding'] ? String(req.headers['content-encoding']) : null;
      let raw = wire;
      try {
        if (contentEncoding === 'gzip') raw = zlib.gunzipSync(wire);
      } catch {
        raw = wire;
      }
      let json: unknown = null;
      if (contentType.includes('json')) {
        try {
          json = JSON.parse(raw.toString('utf8'));
        } catch {
          json = null;
        }
      }
      requests.push({ signal: SIGNALS[path] ?? 'other', path, contentType, contentEncoding, size: wire.length, json, raw, at: Date.now() });
      // An empty success answer is valid for both encodings (no partial_success).
      if (contentType.includes('json')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      } else {
        res.writeHead(200, { 'content-type': 'application/x-protobuf' });
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    of: (signal) => requests.filter((r) => r.signal === signal),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
