import type { SpanRecord } from '../../src/spans/record.js';
import { HttpError } from '../http/errors.js';
import { OtlpDecodeError, decodeTraceRequest } from '../otlp/codec.js';
import type { OtlpEncoding, PartialSuccess } from '../otlp/codec.js';

/** Decodes a (decompressed) body; a malformed one is an HttpError 400 with the decoder's reason. */
export function decodeOrRefuse(body: Buffer, encoding: OtlpEncoding): { records: SpanRecord[]; partial: PartialSuccess } {
  try {
    const conv = decodeTraceRequest(body, encoding);
    return { records: conv.records, partial: { rejectedSpans: conv.rejectedSpans, errorMessage: conv.errorMessage } };
  } catch (err) {
    if (err instanceof OtlpDecodeError) throw new HttpError(400, err.message);
    throw err;
  }
}
