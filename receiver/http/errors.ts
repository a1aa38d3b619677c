/**
 * One typed error for every HTTP failure, and one middleware that answers it. Bodies follow the
 * OTLP/HTTP spec: a google.rpc.Status in the request's encoding (JSON when it is unknown).
 */
import type { ErrorRequestHandler } from 'express';
import { CONTENT_TYPE, RPC_CODE, encodeStatus } from '../otlp/codec.js';
import type { OtlpEncoding } from '../otlp/codec.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const RPC_FOR_STATUS: Record<number, number> = {
  400: RPC_CODE.INVALID_ARGUMENT,
  401: RPC_CODE.UNAUTHENTICATED,
  404: RPC_CODE.NOT_FOUND,
  405: RPC_CODE.UNIMPLEMENTED,
  413: RPC_CODE.INVALID_ARGUMENT,
  415: RPC_CODE.INVALID_ARGUMENT,
  503: RPC_CODE.UNAVAILABLE,
};

/** Where the request handler records the encoding it recognised, so errors can answer in it. */
export const ENCODING_LOCAL = 'otlpEncoding';

export function errorMiddleware(onInternalError: (err: unknown) => void): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    let httpError: HttpError;
    if (err instanceof HttpError) httpError = err;
    else if (typeof err === 'object' && err !== null && (err as { type?: string }).type === 'entity.parse.failed') {
      httpError = new HttpError(400, 'malformed request body');
    } else {
      onInternalError(err);
      httpError = new HttpError(500, 'internal error');
    }
    const encoding = (res.locals[ENCODING_LOCAL] as OtlpEncoding | undefined) ?? 'json';
    for (const [k, v] of Object.entries(httpError.headers)) res.setHeader(k, v);
    res
      .status(httpError.status)
      .type(CONTENT_TYPE[encoding])
      .send(encodeStatus(encoding, RPC_FOR_STATUS[httpError.status] ?? RPC_CODE.INTERNAL, httpError.message));
  };
}
