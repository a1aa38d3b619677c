/**
 * createReceiver(): the OTLP/HTTP receiver as an Express app, plus start/stop helpers.
 *
 *   POST /v1/traces   application/x-protobuf | application/json, optionally gzip, chunked or not
 *   POST /v1/logs     the same; log records travel with their trace's spans (src/spans/log-record.ts)
 *   POST /v1/metrics  the same checks; acknowledged, counted and discarded (docs/receiver.md)
 *   GET  /health      200 while the process serves HTTP (503 if a dead shard worker could not be replaced)
 *   GET  /ready       200 when accepting spans; 503 while starting (WAL replay), full or stopping, and
 *                     503 `{ status: 'degraded' }` while storage is failing (spans are still accepted:
 *                     sessions go to the local spool and are retried; a balancer should prefer another replica)
 *
 * Order of checks on POST (cheap first, body last): 503 stopping/starting -> 401 token -> 415
 * content type / encoding -> 413 size (declared, received, decompressed) -> 400 JSON nested past
 * MAX_JSON_DEPTH (a byte scan, before any parse) -> 400 malformed ->
 * 503 full -> WAL -> 200 (with partial_success when spans or log records were not kept).
 */
import http from 'node:http';
import { diag } from '@opentelemetry/api';
import express from 'express';
import type { Express, NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { storageFromEnv } from '../src/storage/from-env.js';
import { specOf } from '../src/storage/spec.js';
import type { StorageSpec } from '../src/storage/spec.js';
import type { SessionReader, SessionStorage } from '../src/storage/types.js';
import { createViewerRouter } from '../src/viewer/router.js';
import { bearerChecker } from './http/auth.js';
import { contentEncodingOf, decompress, readRawBody } from './http/body.js';
import type { BodyLimits } from './http/body.js';
import { ENCODING_LOCAL, HttpError, errorMiddleware } from './http/errors.js';
import { checkJsonDepth } from './http/json-depth.js';
import { CONTENT_TYPE, encodeResponse } from './otlp/codec.js';
import type { OtlpEncoding, OtlpSignal } from './otlp/codec.js';
import { resolveReceiverOptions } from './options.js';
import type { ReceiverOptions, ResolvedReceiverOptions } from './options.js';
import { ReceiverCore, walFlags } from './pipeline.js';
import { repairOnStart } from './repair-on-start.js';
import type { PipelineStats } from './pipeline.js';

export const TRACES_PATH = '/v1/traces';
export const LOGS_PATH = '/v1/logs';
export const METRICS_PATH = '/v1/metrics';
const PATHS: Record<OtlpSignal, string> = { traces: TRACES_PATH, logs: LOGS_PATH, metrics: METRICS_PATH };

const log = diag.createComponentLogger({ namespace: 'ams-otel/receiver' });

export interface ListeningReceiver {
  server: Server;
  host: string;
  port: number;
  /** Base URL, e.g. http://127.0.0.1:4319 (POST spans to `${url}/v1/traces`). */
  url: string;
}

export interface ReceiverControls {
  /** Resolved configuration (options > env > defaults). */
  readonly config: ResolvedReceiverOptions;
  /** Where the session viewer is served (`/ui`), or undefined when it is not (AMS_RECEIVER_UI, non-loopback host). */
  readonly uiPath?: string;
  /** Resolves when the WAL has been replayed and spans are accepted (start() awaits it). */
  readonly ready: Promise<void>;
  /** Listens on config.host:config.port (or the given ones). */
  start(listen?: { host?: string; port?: number }): Promise<ListeningReceiver>;
  /**
   * Stops accepting (503), writes everything pending (unfinished sessions as incomplete), closes
   * the WAL and the server if start() opened one. Runs once.
   */
  stop(): Promise<void>;
  /** Writes sessions whose root has ended without waiting for waitMs; awaits the writes. */
  flush(): Promise<void>;
  stats(): PipelineStats;
}

/** An Express app (mount it or let start() listen) with the receiver's lifecycle attached. */
export type ReceiverApp = Express & ReceiverControls;

function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const type = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function isReader(storage: SessionStorage): storage is SessionStorage & SessionReader {
  const r = storage as Partial<SessionReader>;
  return typeof r.listIndex === 'function' && typeof r.getIndexEntry === 'function' && typeof r.getSession === 'function';
}

/**
 * How many shard workers to run: as configured, else one per core up to 4. Workers build their own
 * storage: from the environment, or from the options of a LocalStorage / S3Storage given here. Any
 * other storage object (or privacy options that cannot be copied to another thread, such as a
 * mask function) keeps everything on the main thread.
 */
function workerCount(config: ResolvedReceiverOptions, options: ReceiverOptions, spec: StorageSpec | undefined): number {
  const cores = availableParallelism();
  const wanted = config.workers ?? (cores >= 2 ? Math.min(4, cores) : 0);
  if (wanted === 0) return 0;
  let why: string | undefined;
  if (options.storage !== undefined && spec === undefined) why = 'this storage object cannot be rebuilt on a worker thread (only LocalStorage and S3Storage built from plain options can)';
  else {
    try {
      structuredClone(options.privacy);
    } catch {
      why = 'the privacy options cannot be copied to a worker thread (a function?)';
    }
  }
  if (why) {
    if (config.workers !== undefined) log.warn(`running without workers (asked for ${config.workers}): ${why}`);
    return 0;
  }
  return wanted;
}

export function createReceiver(options: ReceiverOptions = {}): ReceiverApp {
  const config = resolveReceiverOptions(options);
  const spec = options.storage === undefined ? undefined : specOf(options.storage);
  const workers = workerCount(config, options, spec);
  config.workers = workers;
  const env = options.env ?? process.env;
  const storage: SessionStorage = options.storage ?? storageFromEnv(env);
  const ownsStorage = options.storage === undefined;
  // One core either way: `workers: 0` is one in-thread shard writing to `storage`. Privacy
  // (AMS_REDACT, AMS_CAPTURE_*, options.privacy) is applied by each shard's SessionWriter before
  // anything is written, as in-process.
  // Stops a running index repair at shutdown (repair-on-start.ts); the start is its mark's bound.
  const repairStop = new AbortController();
  const startedAt = Date.now();
  const pipeline = new ReceiverCore(config, {
    workers,
    storage,
    storageSpec: spec,
    env,
    privacy: options.privacy,
    pricing: options.pricing,
    onSessionWritten: options.onSessionWritten,
    // A worker that died took its unflushed index entries with it: index its documents again.
    onWorkerReplaced: () => void repairOnStart(storage, repairStop.signal),
  });
  const limits: BodyLimits = { maxBodyBytes: config.maxBodyBytes, maxDecompressedBytes: config.maxDecompressedBytes };
  const checkToken = bearerChecker(config.token);
  const retryAfter = { 'Retry-After': String(config.retryAfterSeconds) };

  let isReady = false;
  let stopping = false;
  let server: Server | undefined;
  let stopPromise: Promise<void> | undefined;

  const ready = pipeline
    .start(limits)
    .then(() => {
      isReady = true;
    });
  // A WAL that cannot be opened leaves the receiver not ready (503) rather than losing spans.
  ready.catch((err: unknown) => log.error(`could not start (write-ahead log or shard workers): ${String(err)}`));
  // Then, in the background, the sessions a killed run wrote but never indexed (repair-on-start.ts).
  void ready.then(
    () => repairOnStart(storage, repairStop.signal, startedAt),
    () => undefined,
  );

  const app = express();
  app.disable('x-powered-by');

  app.get('/health', (_req, res) => {
    const problem = pipeline.problem;
    if (problem) res.status(503).json({ status: 'failing', reason: problem });
    else res.json({ status: 'ok' });
  });

  app.get('/ready', (_req, res) => {
    const why = stopping ? 'stopping' : !isReady ? 'starting (replaying the write-ahead log)' : !pipeline.hasCapacity() ? 'at capacity' : undefined;
    if (why) res.status(503).set(retryAfter).json({ status: 'unavailable', reason: why });
    else if (pipeline.stats().storageFailing > 0) {
      res.status(503).set(retryAfter).json({
        status: 'degraded',
        reason: 'storage is failing: sessions are spooled to local disk and retried until it takes them; spans are still accepted',
      });
    } else res.json({ status: 'ready' });
  });

  // The session viewer and its query API, reading the storage this receiver writes to: on by
  // default only when listening on loopback (AMS_RECEIVER_UI overrides); it requires the
  // receiver's token when one is set and refuses foreign Host names (src/viewer/access.ts).
  const uiMounted = (config.ui ?? isLoopback(config.host)) && isReader(storage);
  if (uiMounted) {
    app.use('/ui', createViewerRouter({ reader: storage, token: config.token, env }));
  }

  for (const signal of ['traces', 'logs', 'metrics'] as const) {
    const path = PATHS[signal];
    app.post(path, (req: Request, res: Response, next: NextFunction) => {
      void (async () => {
        const encoding = encodingOf(req.headers['content-type']);
        if (encoding) res.locals[ENCODING_LOCAL] = encoding;
        if (stopping) throw new HttpError(503, 'receiver is shutting down', retryAfter);
        if (!isReady) throw new HttpError(503, 'receiver is starting (replaying the write-ahead log)', retryAfter);
        checkToken(req.headers);
        if (!encoding) {
          throw new HttpError(
            415,
            `unsupported Content-Type "${req.headers['content-type'] ?? ''}": use application/x-protobuf or application/json`,
          );
        }
        const bodyEncoding = contentEncodingOf(req);
        const raw = await readRawBody(req, limits);
        const body = await decompress(raw, bodyEncoding, limits);
        // Before any parser sees it (here, the split by trace, a worker): 400 on hostile nesting.
        if (encoding === 'json') checkJsonDepth(body);
        const partial =
          signal === 'metrics' ? pipeline.acceptMetrics(body, encoding) : await pipeline.acceptBody(body, raw, encoding, walFlags(encoding, bodyEncoding, signal));
        res.status(200).type(CONTENT_TYPE[encoding]).send(encodeResponse(encoding, partial, signal));
      })().catch(next);
    });

    app.all(path, (req, res, next) => {
      const encoding = encodingOf(req.headers['content-type']);
      if (encoding) res.locals[ENCODING_LOCAL] = encoding;
      res.set('Allow', 'POST');
      next(new HttpError(405, `use POST ${path}`));
    });
  }

  app.use((req, _res, next) => {
    next(new HttpError(404, `no route for ${req.method} ${req.path} (OTLP goes to POST ${TRACES_PATH}, ${LOGS_PATH} or ${METRICS_PATH})`));
  });

  app.use(errorMiddleware((err) => log.error(`internal error: ${String((err as Error)?.stack ?? err)}`)));

  const controls: ReceiverControls = {
    config,
    uiPath: uiMounted ? '/ui' : undefined,
    ready,
    async start(listen = {}) {
      await ready;
      const host = listen.host ?? config.host;
      const port = listen.port ?? config.port;
      // Node's own request timeout answers 408 and closes a connection whose request (headers
      // and body) has not fully arrived: a slow-body client cannot hold a connection forever. It
      // is checked every connectionsCheckingInterval, so that follows the timeout.
      const s = http.createServer(
        { requestTimeout: config.requestTimeoutMs, headersTimeout: Math.min(config.requestTimeoutMs, 60_000), connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(config.requestTimeoutMs / 4))) },
        app,
      );
      // A cap on open connections (each holds a socket, buffers and perhaps a body being read):
      // Node closes one more as soon as it is accepted; the exporter sees it closed and retries.
      s.maxConnections = config.maxConnections;
      let dropped = 0;
      s.on('drop', () => {
        if (dropped++ % 100 === 0) log.warn(`closed an incoming connection: ${config.maxConnections} are open (maxConnections); ${dropped} closed so far`);
      });
      s.listen(port, host);
      server = s;
      await new Promise<void>((resolve, reject) => {
        s.once('listening', resolve);
        s.once('error', reject);
      });
      const addr = s.address() as AddressInfo;
      const urlHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      return { server: s, host: addr.address, port: addr.port, url: `http://${urlHost}:${addr.port}` };
    },
    stop() {
      stopPromise ??= (async () => {
        stopping = true;
        await ready.catch(() => {});
        await pipeline.shutdown();
        // Not awaited: a repair stuck on unreachable storage must not hold the shutdown; what it
        // found before the abort it still records and flushes itself.
        repairStop.abort();
        if (ownsStorage) await storage.close?.();
        if (server) {
          const s = server;
          await new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeIdleConnections();
          });
        }
      })();
      return stopPromise;
    },
    flush: () => pipeline.flush(),
    stats: () => pipeline.stats(),
  };
  return Object.assign(app, controls);
}
