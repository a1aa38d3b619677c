/**
 * THE ONE FAKE in the conditional-write tests, and why: s3rver (the real S3-protocol server these
 * tests run) ignores `If-Match` and `If-None-Match` on PUT (it honours them on GET only: see
 * node_modules/s3rver/lib/controllers/object.js), while AWS S3 (since 2024), Cloudflare R2 and
 * MinIO enforce them. This loopback proxy stands in front of s3rver and enforces exactly that part:
 * every PUT and DELETE of a key is serialized, and a PUT carrying a precondition is answered 412
 * PreconditionFailed (If-None-Match: * on an existing key, If-Match with another ETag) or 404
 * NoSuchKey (If-Match on a missing key), as S3 answers, without reaching s3rver. Everything else
 * (the request bytes, signatures, ETags, GET/HEAD/LIST answers) is s3rver's own.
 *
 * Reads of a key are ordered with its writes too: s3rver replaces an object's bytes and its
 * metadata in separate steps, so a GET during a PUT of the same key can announce one length and
 * send other bytes (seen here as a GET that never completes). S3 replaces objects atomically; the
 * ordering restores that, and nothing else.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestS3 } from './s3.js';

const xmlError = (code: string, message: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
const bare = (etag: string) => etag.replace(/^W\//, '').replace(/"/g, '');

export class ConditionalS3Proxy {
  private server?: http.Server;
  port = 0;
  /** PUTs that carried a precondition, and how many of them were refused. */
  readonly counts = { conditional: 0, refused: 0 };
  private readonly locks = new Map<string, Promise<void>>();

  constructor(private readonly s3: TestS3) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    s?.closeAllConnections();
    await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    // Listings span keys: passed straight through.
    if (req.method === 'GET' && (req.url ?? '').includes('list-type=')) return this.forward(req, res);
    // One request per key at a time: a precondition check and its write cannot interleave, and a
    // read never sees half of a write.
    const prev = this.locks.get(path) ?? Promise.resolve();
    const mine = prev.then(() => this.serve(path, req, res));
    const tail = mine.catch(() => undefined);
    this.locks.set(path, tail);
    await tail;
    if (this.locks.get(path) === tail) this.locks.delete(path);
  }

  private async serve(path: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const ifMatch = req.headers['if-match'];
    const ifNoneMatch = req.headers['if-none-match'];
    if (req.method === 'PUT' && (ifMatch || ifNoneMatch)) {
      this.counts.conditional += 1;
      const current = await this.etagOf(path);
      let refusal: [number, string, string] | undefined;
      if (ifNoneMatch === '*' && current !== undefined) refusal = [412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'];
      else if (typeof ifMatch === 'string' && current === undefined) refusal = [404, 'NoSuchKey', 'The specified key does not exist.'];
      else if (typeof ifMatch === 'string' && bare(ifMatch) !== bare(current!)) refusal = [412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'];
      if (refusal) {
        this.counts.refused += 1;
        req.resume();
        await new Promise<void>((r) => req.on('end', r));
        res.writeHead(refusal[0], { 'content-type': 'application/xml' }).end(xmlError(refusal[1], refusal[2]));
        return;
      }
    }
    await this.forward(req, res);
  }

  /** The key's ETag from s3rver, or undefined when it does not exist. */
  private async etagOf(path: string): Promise<string | undefined> {
    const [, bucket, ...rest] = path.split('/');
    const key = decodeURIComponent(rest.join('/'));
    try {
      const head = await this.s3.client().send(new HeadObjectCommand({ Bucket: decodeURIComponent(bucket!), Key: key }));
      return head.ETag;
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
      throw err;
    }
  }

  /** Passes the request to s3rver byte for byte and its answer back; resolves when answered. */
  private forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    return new Promise<void>((resolve) => {
      const upstream = http.request(
        { host: '127.0.0.1', port: this.s3.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          up.on('end', resolve);
          // Cut short upstream: cut the answer too, so the client retries instead of waiting.
          up.on('error', () => {
            res.destroy();
            resolve();
          });
          up.on('aborted', () => {
            res.destroy();
            resolve();
          });
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(503, { 'content-type': 'application/xml' });
        res.end(xmlError('ServiceUnavailable', 's3rver is not reachable'));
        resolve();
      });
      req.pipe(upstream);
    });
  }
}
