/** A minimal gRPC-web client over fetch for protocol-level assertions (the real libraries are tested elsewhere). */
import { FLAG_TRAILERS, encodeFrame, readFrameHeader } from '../../../../gateway/grpc-frame.js';
import { decodeBase64Text } from '../../../../gateway/grpcweb/frames.js';

export interface WebReply {
  httpStatus: number;
  headers: Headers;
  messages: Buffer[];
  trailers: Record<string, string>;
}

export function frame(payload: Uint8Array): Buffer {
  return encodeFrame(0, payload, Buffer.allocUnsafe);
}

/** Splits a binary gRPC-web response body into messages and the trailers frame. */
export function parseFrames(body: Buffer): { messages: Buffer[]; trailers: Record<string, string> } {
  const messages: Buffer[] = [];
  const trailers: Record<string, string> = {};
  let at = 0;
  while (at + 5 <= body.length) {
    const h = readFrameHeader(body.subarray(at));
    const payload = body.subarray(at + 5, at + 5 + h.length);
    if (h.trailers) {
      for (const line of payload.toString('latin1').split('\r\n')) {
        const i = line.indexOf(':');
        if (i > 0) trailers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
      }
    } else messages.push(Buffer.from(payload));
    at += 5 + h.length;
  }
  if (at !== body.length) throw new Error(`response has ${body.length - at} trailing bytes`);
  return { messages, trailers };
}

export async function webCall(url: string, body: Buffer | string, init: { text?: boolean; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<WebReply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': init.text ? 'application/grpc-web-text' : 'application/grpc-web+proto', 'x-grpc-web': '1', ...init.headers },
    body,
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const raw = Buffer.from(await res.arrayBuffer());
  const bin = init.text ? decodeBase64Text(raw.toString('latin1')) : raw;
  return { httpStatus: res.status, headers: res.headers, ...parseFrames(bin) };
}

export { FLAG_TRAILERS };
