/**
 * Reads a request body under two named limits: the bytes on the wire and the bytes after gzip.
 * Works with and without Content-Length (chunked transfer encoding).
 */
import type { IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import { HttpError } from './errors.js';

export interface BodyLimits {
  /** MAX_BODY_BYTES: bytes as received (compressed when gzip). */
  maxBodyBytes: number;
  /** MAX_DECOMPRESSED_BYTES: bytes after gunzip, so a small gzip bomb cannot exhaust memory. */
  maxDecompressedBytes: number;
}

/**
 * After refusing an oversized body, keep reading (and discarding) up to this many bytes so the
 * client can read our 413 instead of seeing a reset connection; beyond it, the socket is closed.
 */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

export type BodyEncoding = 'identity' | 'gzip';

export function contentEncodingOf(req: IncomingMessage): BodyEncoding {
  const raw = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (raw === '' || raw === 'identity') return 'identity';
  if (raw === 'gzip' || raw === 'x-gzip') return 'gzip';
  throw new HttpError(415, `unsupported Content-Encoding "${raw}": use gzip or none`);
}

function tooLarge(limitName: string, limit: number): HttpError {
  return new HttpError(413, `request body exceeds ${limitName} (${limit} bytes)`, { Connection: 'close' });
}

/** The raw body exactly as received (still gzip-compressed when it was sent so). */
export function readRawBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limits.maxBodyBytes) {
    drain(req);
    return Promise.reject(tooLarge('MAX_BODY_BYTES', limits.maxBodyBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limits.maxBodyBytes) {
        cleanup();
        drain(req);
        reject(tooLarge('MAX_BODY_BYTES', limits.maxBodyBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new HttpError(400, `could not read the request body: ${err.message}`));
    };
    const onAborted = (): void => {
      cleanup();
      reject(new HttpError(400, 'request body ended early (client aborted)'));
    };
    function cleanup(): void {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

function drain(req: IncomingMessage): void {
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DRAIN_LIMIT_BYTES) req.socket.destroy();
  });
  req.on('error', () => {});
  req.resume();
}

/** gunzip under MAX_DECOMPRESSED_BYTES; identity bodies are checked against the same limit. */
export function decompress(body: Buffer, encoding: BodyEncoding, limits: BodyLimits): Promise<Buffer> {
  if (encoding === 'identity') {
    if (body.length > limits.maxDecompressedBytes) return Promise.reject(tooLarge('MAX_DECOMPRESSED_BYTES', limits.maxDecompressedBytes));
    return Promise.resolve(body);
  }
  return new Promise((resolve, reject) => {
    gunzip(body, { maxOutputLength: limits.maxDecompressedBytes }, (err, out) => {
      if (!err) resolve(out);
      else if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        reject(new HttpError(413, `decompressed body exceeds MAX_DECOMPRESSED_BYTES (${limits.maxDecompressedBytes} bytes)`, { Connection: 'close' }));
      } else reject(new HttpError(400, `malformed gzip body: ${err.message}`));
    });
  });
}
