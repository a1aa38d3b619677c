/**
 * Sessions in your bucket and traces in Honeycomb / Datadog / any OTLP backend, from one
 * provider: the SessionSpanProcessor and a BatchSpanProcessor with an OTLP exporter side by side.
 *
 *   OTEL_EXPORTER_OTLP_ENDPOINT=https://api.honeycomb.io OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-team=KEY \
 *     npx tsx examples/with-otlp-backend.ts
 *   (Datadog: point OTEL_EXPORTER_OTLP_ENDPOINT at the Agent's OTLP receiver, e.g. http://localhost:4318)
 *
 * Without them it exports to a stand-in OTLP endpoint on loopback that just counts what arrives.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { SessionSpanProcessor, storageFromEnv } from '../src/index.js'; // 'ams-otel'
import { tracedQuery } from '../src/claude/index.js'; // 'ams-otel/claude'
import { exampleBackend } from '../src/demo/example-env.js';

// Stand-in backend when no endpoint is configured: accepts OTLP/HTTP and counts requests.
let received = 0;
const sink = process.env.OTEL_EXPORTER_OTLP_ENDPOINT
  ? undefined
  : http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received += 1;
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
await new Promise<void>((resolve) => (sink ? sink.listen(0, '127.0.0.1', resolve) : resolve()));
const url = sink ? `http://127.0.0.1:${(sink.address() as AddressInfo).port}/v1/traces` : undefined;

// service.name and deployment.environment.name come from OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES.
const provider = new NodeTracerProvider({
  spanProcessors: [
    // Whole sessions, one JSON document each: local ./ams-data, or S3 when AMS_S3_BUCKET is set.
    new SessionSpanProcessor({ storage: storageFromEnv(), onSessionWritten: ({ key }) => console.log(`session written: ${key}`) }),
    // The same spans, as a trace, to the OTLP backend (reads the standard OTEL_EXPORTER_OTLP_* env).
    new BatchSpanProcessor(new OTLPTraceExporter(url ? { url } : {})),
  ],
});
provider.register();

const backend = await exampleBackend('Check the disk usage here.');
try {
  for await (const m of tracedQuery({ prompt: backend.prompt, options: backend.options, agent: 'support-bot' })) {
    if (m.type === 'result') console.log(`result: ${m.subtype}`);
  }
} finally {
  await backend.close();
  await provider.shutdown(); // flushes both processors
  if (sink) {
    console.log(`stand-in OTLP backend received ${received} export request(s)`);
    sink.close();
  }
}
