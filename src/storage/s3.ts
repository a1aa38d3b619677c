/**
 * S3Storage: the same layout in any S3-compatible bucket through the real @aws-sdk/client-s3.
 * AWS: bucket + region (credentials from the standard AWS chain). Cloudflare R2: endpoint
 * `https://<account>.r2.cloudflarestorage.com`, region `auto`. MinIO / other servers: endpoint +
 * path-style URLs (on by default whenever an endpoint is given).
 *
 * @aws-sdk/client-s3 is an optional peer dependency, imported on first use (not at construction):
 * it costs more to load than the rest of ams-otel together, and users of local storage never need it.
 */
import { diag } from '@opentelemetry/api';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import os from 'node:os';
import path from 'node:path';
import { resolve, SETTINGS } from '../config/env.js';
import type { Env } from '../config/env.js';
import type { StorageSpec } from './spec.js';
import { toIndexEntry } from '../session/index-entry.js';
import type { Session, SessionIndexEntry } from '../session/types.js';
import { indexKey, safeId, sessionKey, sessionKeysAround, sessionsFolder } from './keys.js';
import { StorageIndex } from './index-layout.js';
import type { IndexLayoutOptions } from './index-layout.js';
import { shallowOf } from './segment-index.js';
import type { KeyRange, ListedObject, ObjectStore } from './segment-index.js';
import type { OnCorruptSegment } from './segments.js';
import { packEtag, PreconditionFailedError, unpackEtag } from './conditional.js';
import type { ConditionalStorage, ConditionalWriteResult, VersionedSession, WriteCondition } from './conditional.js';
import { ReliableStorage } from './reliable.js';
import type { ReliableStorageStats, RetryOptions } from './reliable.js';
import type { ListIndexOptions, SessionMaintenance, SessionReader, SessionStorage, StorageCallOptions, StoredDocument } from './types.js';
import { optionalDependency } from './optional-dependency.js';

const log = diag.createComponentLogger({ namespace: 'ams-otel/storage/s3' });

/** The AWS SDK's S3 module, imported once, on the first S3Storage operation. */
export const loadS3Sdk = optionalDependency('@aws-sdk/client-s3', 'S3Storage', () => import('@aws-sdk/client-s3'));

export interface S3StorageOptions extends IndexLayoutOptions {
  /** Default `AMS_S3_BUCKET`. Required one way or the other. */
  bucket?: string;
  /** Key prefix; default `AMS_S3_PREFIX` or `ams`. */
  prefix?: string;
  /** Default `AMS_S3_ENDPOINT_URL`. */
  endpoint?: string;
  /** Default `AMS_S3_REGION`, else the AWS chain, else `us-east-1` when an endpoint is set. */
  region?: string;
  /** Default `AMS_S3_FORCE_PATH_STYLE`, else on when an endpoint is set. */
  forcePathStyle?: boolean;
  /** Credentials; default the standard AWS chain. */
  credentials?: S3ClientConfig['credentials'];
  /** A client of your own (its config wins over the fields above); the SDK is then not imported until a command is sent. */
  client?: S3Client;
  /** Where sessions wait during an outage; default `AMS_SPOOL_DIR` or `<tmpdir>/ams-otel-spool/<bucket>`. */
  spoolDir?: string;
  retry?: RetryOptions;
  env?: Env;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Where an S3Storage with these options spools during an outage. */
export function s3SpoolDir(options: S3StorageOptions): string {
  const env = options.env;
  const bucket = resolve(SETTINGS.s3Bucket, options.bucket, env) ?? 'no-bucket';
  return resolve(SETTINGS.spoolDir, options.spoolDir, env) ?? path.join(os.tmpdir(), 'ams-otel-spool', safeId(bucket));
}

export class S3Storage implements SessionStorage, SessionReader, SessionMaintenance, ObjectStore {
  readonly bucket: string;
  readonly prefix: string;
  /** The index, in the layout AMS_INDEX_LAYOUT chooses. */
  readonly index: StorageIndex;
  private readonly reliable: ReliableStorage;
  /** What the client is built from, resolved in the constructor so bad options fail there. */
  private readonly clientConfig: S3ClientConfig;
  #client: Promise<S3Client> | undefined;

  /** The options as given, for toSpec() (private: nothing prints or serializes the credentials). */
  readonly #options: S3StorageOptions;

  constructor(options: S3StorageOptions = {}) {
    this.#options = options;
    const env = options.env;
    const bucket = resolve(SETTINGS.s3Bucket, options.bucket, env);
    if (!bucket) throw new Error('ams-otel: S3Storage needs a bucket (option `bucket` or AMS_S3_BUCKET)');
    this.bucket = bucket;
    this.prefix = resolve(SETTINGS.s3Prefix, options.prefix, env);
    const endpoint = resolve(SETTINGS.s3Endpoint, options.endpoint, env);
    const timeoutMs = resolve(SETTINGS.storageTimeoutMs, options.retry?.timeoutMs, env);
    const region = resolve(SETTINGS.s3Region, options.region, env) ?? (env ?? process.env).AWS_REGION ?? (endpoint ? 'us-east-1' : undefined);
    this.clientConfig = {
      endpoint,
      region,
      forcePathStyle: resolve(SETTINGS.s3ForcePathStyle, options.forcePathStyle, env) ?? Boolean(endpoint),
      credentials: options.credentials,
      // Our own retry + spool sits above; keep the client's quick so an outage is seen fast.
      maxAttempts: 2,
      // The handler's requestTimeout only warns unless throwOnRequestTimeout is set (checked with
      // @smithy/node-http-handler 4.x): with it, a request that gets no answer is destroyed and
      // fails. The per-call deadline below (an AbortSignal on every send) bounds the whole write.
      requestHandler: { connectionTimeout: 3000, requestTimeout: timeoutMs > 0 ? timeoutMs : 15_000, throwOnRequestTimeout: true },
    };
    if (options.client) this.#client = Promise.resolve(options.client);
    const spoolDir = s3SpoolDir(options);
    this.index = new StorageIndex(this, this.prefix, { ...options, env, spoolDir: path.join(spoolDir, 'index', safeId(bucket)), timeoutMs });
    const direct: ConditionalStorage = {
      putSession: (s, o) => this.putDirect(s, o?.signal),
      getSessionVersioned: (id, o) => this.getVersionedDirect(id, o?.signal, o?.startedAt),
      putSessionConditional: (s, c, o) => this.putConditionalDirect(s, c, o?.signal),
      indexStored: (s, key) => this.indexStored(s, key),
    };
    this.reliable = new ReliableStorage(direct, (s) => sessionKey(this.prefix, s), spoolDir, { ...options.retry, timeoutMs });
  }

  /**
   * The S3 client: the one given in the options, else one built from them on first call (which
   * imports @aws-sdk/client-s3; rejects with an "npm install" message when it is not installed).
   */
  getClient(): Promise<S3Client> {
    this.#client ??= loadS3Sdk().then(
      ({ S3Client }) => {
        log.debug(`client created for bucket ${this.bucket}`);
        return new S3Client(this.clientConfig);
      },
      (err: unknown) => {
        this.#client = undefined; // a later call may succeed once the package is installed
        throw err;
      },
    );
    return this.#client;
  }

  /** This storage as data, to be built again on another thread (see storage/spec.ts). */
  toSpec(): StorageSpec {
    return { kind: 's3', options: this.#options };
  }

  /** Writes with retry; during an outage the session is spooled and replayed later. Never loses it. */
  putSession(session: Session): Promise<string> {
    return this.reliable.putSession(session);
  }

  /** Straight to the local spool, written by the replay soon (the session writer's overflow). */
  spoolSession(session: Session): Promise<string> {
    return this.reliable.spoolSession(session);
  }

  /** The stored document with its version token (`<ETag>@<key>`), read through the index entry. */
  getSessionVersioned(id: string, options?: StorageCallOptions): Promise<VersionedSession | undefined> {
    return this.reliable.getSessionVersioned!(id, options);
  }

  /**
   * PutObject with `If-Match` / `If-None-Match: *` (AWS S3 since 2024, R2, MinIO), with retry on
   * transient errors; rejects with PreconditionFailedError when the condition fails (412, or the
   * 409 ConditionalRequestConflict S3 answers to a concurrent conditional write). During an outage
   * it rejects at once: the caller spools the session, whose replay merges on condition.
   */
  putSessionConditional(session: Session, condition: WriteCondition): Promise<ConditionalWriteResult> {
    return this.reliable.putSessionConditional!(session, condition);
  }

  /** See ConditionalStorage.indexStored: the entry of a document found complete, recorded again. */
  indexStored(session: Session, key: string): Promise<void> {
    return this.index.recordStored(toIndexEntry(session, key));
  }

  /** Waits for retries and spooled writes, then writes the index entries buffered. */
  async flush(): Promise<void> {
    await this.reliable.flush();
    await this.index.flush();
  }

  async close(): Promise<void> {
    await this.reliable.close();
    await this.index.close();
  }

  stats(): ReliableStorageStats {
    return this.reliable.stats();
  }

  /** One attempt at writing the document and its index entry (no retry, no spool). */
  async putDirect(session: Session, signal?: AbortSignal): Promise<string> {
    const { DeleteObjectCommand, PutObjectCommand } = await loadS3Sdk();
    const client = await this.getClient();
    const key = sessionKey(this.prefix, session);
    if (session.revision > 1) {
      // A rewrite whose start date moved would leave the old document behind: remove it.
      const previous = await this.index.previousKey(session.id, signal);
      if (previous && previous !== key) await client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: previous }), { abortSignal: signal });
    }
    await client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(session, null, 2) + '\n', ContentType: JSON_TYPE }), { abortSignal: signal });
    await this.index.record(toIndexEntry(session, key), signal);
    return key;
  }

  /** One read of the document and its ETag (no retry). */
  async getVersionedDirect(id: string, signal?: AbortSignal, startedAt?: string): Promise<VersionedSession | undefined> {
    const { GetObjectCommand } = await loadS3Sdk();
    const client = await this.getClient();
    // Where the document may be: what this writer wrote last, the per-session index file, else
    // (segment layout: no per-session pointer) the keys around the part's start.
    const candidates: string[] = [];
    const known = this.index.knownKey(id);
    if (known) candidates.push(known);
    const entry = await this.getJson<SessionIndexEntry>(indexKey(this.prefix, id), signal).catch((err: unknown) => {
      if (err instanceof SyntaxError) return undefined;
      throw err;
    });
    if (entry && typeof entry.key === 'string') candidates.push(entry.key);
    if (startedAt !== undefined) candidates.push(...sessionKeysAround(this.prefix, id, startedAt));
    for (const key of new Set(candidates)) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
        const body = await res.Body?.transformToString('utf8');
        if (!body || !res.ETag) continue;
        return { session: JSON.parse(body) as Session, etag: packEtag(key, res.ETag) };
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return undefined;
  }

  /**
   * One conditional write (no retry). `ifMatch` overwrites the document the token names, only if
   * its ETag is unchanged. `ifNoneMatch` creates the document, then its index entry, both only if
   * absent: two writers creating the same session under different date keys both succeed with
   * the document, but only one with the index entry; the other removes its document and fails
   * the precondition, so it re-reads the winner's and merges into it.
   */
  async putConditionalDirect(session: Session, condition: WriteCondition, signal?: AbortSignal): Promise<ConditionalWriteResult> {
    const { DeleteObjectCommand, PutObjectCommand } = await loadS3Sdk();
    const client = await this.getClient();
    const idxKey = indexKey(this.prefix, session.id);
    const body = JSON.stringify(session, null, 2) + '\n';
    const creating = !('ifMatch' in condition);
    const token = 'ifMatch' in condition ? unpackEtag(condition.ifMatch) : undefined;
    if (!creating && !token) throw new PreconditionFailedError(`not a version token of this storage: ${(condition as { ifMatch: string }).ifMatch}`);
    const key = token ? token.key : sessionKey(this.prefix, session);
    let etag: string | undefined;
    try {
      const res = await client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: JSON_TYPE,
          ...(token ? { IfMatch: token.tag } : { IfNoneMatch: '*' }),
        }),
        { abortSignal: signal },
      );
      etag = res.ETag;
    } catch (err) {
      // If-Match on an object that is gone answers 404.
      if (isConditionFailure(err) || (token && isNotFound(err))) throw new PreconditionFailedError(`session ${session.id} changed since it was read (${describeS3(err)})`);
      throw err;
    }
    if (!etag) throw new Error(`ams-otel: the S3 server returned no ETag for ${key}`);
    if (!this.index.writesPerSession) {
      // Segment layout: the document's own condition decides; the entry is buffered for the segment.
      await this.index.record(toIndexEntry(session, key), signal);
      return { key, etag: packEtag(key, etag) };
    }
    const entry = JSON.stringify(toIndexEntry(session, key)) + '\n';
    const putEntry = (conditional: boolean) =>
      client.send(new PutObjectCommand({ Bucket: this.bucket, Key: idxKey, Body: entry, ContentType: JSON_TYPE, ...(conditional ? { IfNoneMatch: '*' } : {}) }), { abortSignal: signal });
    if (!creating) await putEntry(false);
    else {
      try {
        await putEntry(true);
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        const existing = await this.getJson<SessionIndexEntry>(idxKey, signal);
        if (existing && existing.key !== key && (await this.getJson<unknown>(existing.key, signal)) !== undefined) {
          await client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
          throw new PreconditionFailedError(`session ${session.id} was created by another writer`);
        }
        await putEntry(false); // the entry names this document already, or a document that is gone
      }
    }
    await this.settleIndex(idxKey, key, etag, signal);
    // Layout `both`: the segment entry once the per-session arbitration has kept this document.
    this.index.addToSegments(toIndexEntry(session, key));
    return { key, etag: packEtag(key, etag) };
  }

  /**
   * Document writes are ordered by their conditions, index entries are not: a writer whose index
   * PUT is slow could land an older entry over a newer writer's. After writing the entry, the
   * document's ETag is checked: still ours, then any later writer writes its entry after ours; not
   * ours, then the entry is written again from the current document (a few rounds at most).
   */
  private async settleIndex(idxKey: string, key: string, written: string, signal?: AbortSignal): Promise<void> {
    const { GetObjectCommand, HeadObjectCommand, PutObjectCommand } = await loadS3Sdk();
    const client = await this.getClient();
    let mine = written;
    for (let round = 0; round < 3; round++) {
      const head = await client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
      if (!head.ETag || head.ETag === mine) return;
      const res = await client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
      const body = await res.Body?.transformToString('utf8');
      if (!body || !res.ETag) return;
      const current = JSON.parse(body) as Session;
      await client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: idxKey, Body: JSON.stringify(toIndexEntry(current, key)) + '\n', ContentType: JSON_TYPE }),
        { abortSignal: signal },
      );
      mine = res.ETag;
    }
  }

  /**
   * Every session's newest index entry (both layouts; with `since`, only the partitions needed: a
   * few LIST and GET requests once segments are compacted). Unreadable segments, lines or entries
   * are skipped; `onCorrupt` hears which and where.
   */
  async *listIndex(onCorrupt?: OnCorruptSegment, options: ListIndexOptions = {}): AsyncIterable<SessionIndexEntry> {
    const named: OnCorruptSegment | undefined = onCorrupt && ((object, problem, line) => onCorrupt(`s3://${this.bucket}/${object}`, problem, line));
    yield* await this.index.list({ ...options, onCorrupt: named });
  }

  /** The document first, then its index entry (see SessionStorage.deleteSession); no retry, no spool. */
  async deleteSession(id: string, key: string): Promise<void> {
    const { DeleteObjectCommand } = await loadS3Sdk();
    const client = await this.getClient();
    await client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    await client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: indexKey(this.prefix, id) }));
  }

  /** Every `.json` object under `sessions/`, with its size from the listing (no extra request). */
  async *listDocuments(): AsyncIterable<StoredDocument> {
    const { ListObjectsV2Command } = await loadS3Sdk();
    const client = await this.getClient();
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: sessionsFolder(this.prefix), ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (o.Key && o.Key.endsWith('.json')) yield { key: o.Key, bytes: typeof o.Size === 'number' ? o.Size : null, modified: o.LastModified?.getTime() ?? null };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async readDocument(key: string): Promise<string | undefined> {
    const { GetObjectCommand } = await loadS3Sdk();
    const client = await this.getClient();
    try {
      const res = await client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await res.Body?.transformToString('utf8')) ?? '';
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** In the layout written (a segment entry waits for the next flush). */
  putIndexEntry(entry: SessionIndexEntry): Promise<void> {
    return this.index.record(entry);
  }

  dropIndexEntries(ids: ReadonlySet<string>): Promise<void> {
    return this.index.drop(ids);
  }

  getIndexEntry(id: string): Promise<SessionIndexEntry | undefined> {
    return this.index.find(safeId(id));
  }

  // ObjectStore (segment-index.ts): full keys in the bucket. No retry here: the segment index retries and spools.

  async putObject(key: string, body: Buffer, signal?: AbortSignal): Promise<void> {
    const { PutObjectCommand } = await loadS3Sdk();
    const client = await this.getClient();
    // Segments are gzip'd NDJSON, stored as gzip files (not Content-Encoding: gzip, which some
    // clients would undo on download): DuckDB, Athena and ClickHouse read them by their extension.
    const type = key.endsWith('.gz') ? 'application/gzip' : JSON_TYPE;
    await client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: type }), { abortSignal: signal });
  }

  async getObject(key: string, signal?: AbortSignal): Promise<Buffer | undefined> {
    const { GetObjectCommand } = await loadS3Sdk();
    const client = await this.getClient();
    try {
      const res = await client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
      const bytes = await res.Body?.transformToByteArray();
      return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.alloc(0);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async listObjects(prefix: string, shallow = false, range: KeyRange = {}): Promise<{ objects: ListedObject[]; folders: string[] }> {
    const { ListObjectsV2Command } = await loadS3Sdk();
    const client = await this.getClient();
    const objects: ListedObject[] = [];
    let token: string | undefined;
    let stopped = false;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, StartAfter: token ? undefined : range.startAfter, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        if (range.stopAt !== undefined && o.Key >= range.stopAt) {
          stopped = true;
          break;
        }
        objects.push({ key: o.Key, bytes: typeof o.Size === 'number' ? o.Size : null, modified: o.LastModified?.getTime() ?? null, version: `${o.ETag ?? ''}:${o.Size ?? ''}` });
      }
      token = !stopped && page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return shallow ? shallowOf(prefix, objects) : { objects, folders: [] };
  }

  async deleteObject(key: string): Promise<void> {
    const { DeleteObjectCommand } = await loadS3Sdk();
    const client = await this.getClient();
    await client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async getSession(id: string): Promise<Session | undefined> {
    const entry = await this.getIndexEntry(id);
    return entry ? this.getSessionOf(entry) : undefined;
  }

  getSessionOf(entry: SessionIndexEntry): Promise<Session | undefined> {
    return this.getJson<Session>(entry.key);
  }

  private async getJson<T>(key: string, signal?: AbortSignal): Promise<T | undefined> {
    const { GetObjectCommand } = await loadS3Sdk();
    const client = await this.getClient();
    try {
      const res = await client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
      const body = await res.Body?.transformToString('utf8');
      return body ? (JSON.parse(body) as T) : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}

type S3Error = { name?: string; $metadata?: { httpStatusCode?: number } };

function isNotFound(err: unknown): boolean {
  const e = err as S3Error;
  return e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

/** 412 Precondition Failed, or 409 ConditionalRequestConflict (a concurrent conditional write won). */
function isConditionFailure(err: unknown): boolean {
  const e = err as S3Error;
  const status = e?.$metadata?.httpStatusCode;
  return status === 412 || status === 409 || e?.name === 'PreconditionFailed' || e?.name === 'ConditionalRequestConflict';
}

function describeS3(err: unknown): string {
  const e = err as S3Error;
  return `${e?.name ?? 'error'} ${e?.$metadata?.httpStatusCode ?? ''}`.trim();
}
