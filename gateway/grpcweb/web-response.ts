import type { ServerResponse, OutgoingHttpHeaders } from 'node:http';
import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import { FRAME_HEADER_BYTES, encodeFrame, writeFrame } from '../grpc-frame.js';
import { encodeTrailers } from './frames.js';
import { metadataToPairs, pairsToHeaders, percentEncodeGrpcMessage } from './metadata.js';
import type { ResponseSink } from './fake-call.js';

const BINARY_TYPE = 'application/grpc-web+proto';
const TEXT_TYPE = 'application/grpc-web-text+proto';
/** The trailers frame of an OK answer without trailing metadata: the same bytes for almost every unary call. */
/** Largest unary body sent as a latin1 string together with the response head, in bytes. */
const SMALL_BODY_BYTES = 16 * 1024;
const OK_TRAILERS = encodeTrailers([['grpc-status', String(status.OK)]]);

/**
 * One gRPC-web response on an HTTP/1.1 ServerResponse. Every message is written (and so flushed as a
 * chunk) as soon as the handler writes it; the status always travels in a trailers frame at the end.
 */
export class WebResponse implements ResponseSink {
  private headersSent = false;
  finished = false;

  constructor(private readonly res: ServerResponse, private readonly text: boolean, private readonly extraHeaders: OutgoingHttpHeaders) {}

  sendHeaders(md?: Metadata): void {
    if (!this.finished) this.writeHeaders(md);
  }

  private headers(md?: Metadata): OutgoingHttpHeaders {
    return pairsToHeaders(metadataToPairs(md), {
      ...this.extraHeaders,
      'content-type': this.text ? TEXT_TYPE : BINARY_TYPE,
      'cache-control': 'no-cache',
    });
  }

  private writeHeaders(md?: Metadata): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.res.writeHead(200, this.headers(md));
    this.res.flushHeaders();
  }

  /**
   * A unary answer whose headers have not gone out yet: headers, message and OK trailers leave in one write with a
   * content-length, not as three chunked writes (each a syscall and a loopback segment; together they were most of
   * a gRPC-web call's CPU in bench gateway). Otherwise (headers already sent) it streams like any other answer.
   */
  finishUnary(payload: Buffer, trailers: Metadata | undefined): void {
    if (this.finished || this.res.destroyed) return;
    if (this.headersSent) return this.sendMessage(payload, () => this.finish({ code: status.OK, details: 'OK', metadata: trailers ?? new Metadata() }));
    this.finished = true;
    this.headersSent = true;
    const pairs = metadataToPairs(trailers);
    const end = pairs.length === 0 ? OK_TRAILERS : encodeTrailers([['grpc-status', String(status.OK)], ...pairs]);
    const frames = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length + end.length);
    frames.set(end, writeFrame(frames, 0, 0, payload));
    // A small body as a latin1 string (lossless for bytes): Node prepends the head to a string body, so head and
    // body are one chunk of the socket write; a Buffer body is a chunk of its own. Large bodies stay Buffers (no copy).
    const body = this.text ? frames.toString('base64') : frames.length <= SMALL_BODY_BYTES ? frames.toString('latin1') : frames;
    const headers: OutgoingHttpHeaders =
      this.noExtraHeaders ? { 'content-type': this.text ? TEXT_TYPE : BINARY_TYPE, 'cache-control': 'no-cache', 'content-length': body.length } : this.headers();
    headers['content-length'] = body.length;
    this.res.writeHead(200, headers);
    if (typeof body === 'string') this.res.end(body, 'latin1');
    else this.res.end(body);
  }

  /** Same-origin calls (no CORS headers): the common case, whose response headers need no merging. */
  private get noExtraHeaders(): boolean {
    for (const _ in this.extraHeaders) return false;
    return true;
  }

  sendMessage(payload: Buffer, done: () => void): void {
    if (this.finished || this.res.destroyed) return done();
    this.sendHeaders();
    if (this.write(encodeFrame(0, payload, Buffer.allocUnsafe))) return done();
    const settle = (): void => {
      this.res.off('drain', settle);
      this.res.off('close', settle);
      done();
    };
    this.res.on('drain', settle);
    this.res.on('close', settle);
  }

  finish(result: Partial<StatusObject>): void {
    if (this.finished) return;
    this.finished = true;
    if (this.res.destroyed) return;
    const code = result.code ?? status.UNKNOWN;
    this.writeHeaders();
    const trailers: Array<[string, string]> = [['grpc-status', String(code)]];
    if (result.details && code !== status.OK) trailers.push(['grpc-message', percentEncodeGrpcMessage(result.details)]);
    trailers.push(...metadataToPairs(result.metadata));
    this.write(encodeTrailers(trailers));
    this.res.end();
  }

  private write(frame: Buffer): boolean {
    return this.res.write(this.text ? frame.toString('base64') : frame);
  }
}
