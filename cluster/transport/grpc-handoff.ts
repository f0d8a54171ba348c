/**
 * `ClusterLink.Handoff` over grpc-js: a client stream of `HandoffChunk`s answered by one `HandoffAck`.
 * Same handshake as the link: the receiver checks the sender's proof before reading, and the sender writes
 * nothing until the receiver's response headers proved the key (snapshots are as private as envelopes).
 */
import * as grpc from '@grpc/grpc-js';
import { ClusterLinkService, type HandoffAck, type HandoffChunk } from '../../proto/gen/cluster.js';
import { LinkAuthError, LinkClosedError, HandoffFailedError } from './errors.js';
import { acceptHeaders, dialHeaders, verifyAccept, verifyDial, type AuthContext } from './grpc-auth.js';
import type { HandoffHandler } from './transport.js';

const ERROR_CODE_HEADER = 'quarry-error-code';

export interface HandoffServeDeps {
  handler(): HandoffHandler | undefined;
  /** A reason to refuse this peer right now (transport closed, fault injection), or `undefined`. */
  unavailable(peerId: string): string | undefined;
}

export function serveHandoff(
  ctx: AuthContext,
  deps: HandoffServeDeps,
  call: grpc.ServerReadableStream<HandoffChunk, HandoffAck>,
  callback: grpc.sendUnaryData<HandoffAck>,
): void {
  const proof = verifyDial(ctx, call.metadata, call.getPeer());
  if (!proof) return callback({ code: grpc.status.UNAUTHENTICATED, details: 'cluster key proof refused' });
  const unavailable = deps.unavailable(proof.from);
  if (unavailable) return callback({ code: grpc.status.UNAVAILABLE, details: unavailable });
  const handler = deps.handler();
  if (!handler) return callback({ code: grpc.status.FAILED_PRECONDITION, details: 'node has no handoff handler yet' });
  call.sendMetadata(acceptHeaders(ctx, proof));
  let result: Promise<number>;
  try {
    result = handler(call, proof.from);
  } catch (err) {
    result = Promise.reject(err);
  }
  result.then(
    (accepted) => callback(null, { accepted }),
    (err: unknown) => {
      const code = (err as { code?: unknown })?.code;
      const metadata = new grpc.Metadata();
      metadata.set(ERROR_CODE_HEADER, typeof code === 'string' && code ? code : 'HANDLER_FAILED');
      callback({ code: grpc.status.ABORTED, details: err instanceof Error ? err.message : String(err), metadata });
    },
  );
}

export function sendHandoff(
  ctx: AuthContext,
  client: grpc.Client,
  peerId: string,
  chunks: AsyncIterable<HandoffChunk> | Iterable<HandoffChunk>,
  deadlineMs: number,
): Promise<HandoffAck> {
  const { metadata, nonce } = dialHeaders(ctx, peerId);
  return new Promise<HandoffAck>((resolve, reject) => {
    let localFailure: Error | undefined;
    let finished = false;
    const m = ClusterLinkService.handoff;
    const call = client.makeClientStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, metadata, { deadline: deadlineMs }, (err, ack) => {
      finished = true;
      if (localFailure) reject(localFailure);
      else if (err) reject(handoffError(peerId, err));
      else resolve(ack!);
    });
    // One listener each, woken per wait: a `once` per wait would pile up 'status' listeners on long streams.
    let wake: (() => void) | undefined;
    const wakeUp = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    call.on('drain', wakeUp);
    call.on('status', () => {
      finished = true;
      wakeUp();
    });
    const drainedOrFinished = () => new Promise<void>((r) => (wake = r));
    call.on('metadata', (headers: grpc.Metadata) => {
      const reason = verifyAccept(ctx, peerId, nonce, headers);
      if (reason) {
        localFailure = new LinkAuthError(peerId, reason);
        return call.cancel();
      }
      void (async () => {
        for await (const chunk of chunks) {
          if (finished) return;
          if (!call.write(chunk)) await drainedOrFinished();
        }
        if (!finished) call.end();
      })().catch((err: unknown) => {
        localFailure = new HandoffFailedError(peerId, 'SOURCE_FAILED', 'the chunk source threw', { cause: err });
        call.cancel();
      });
    });
  });
}

function handoffError(peerId: string, err: grpc.ServiceError): Error {
  switch (err.code) {
    case grpc.status.UNAVAILABLE:
    case grpc.status.CANCELLED:
      return new LinkClosedError(peerId, `handoff stream: ${err.details}`, { cause: err });
    case grpc.status.UNAUTHENTICATED:
      return new LinkAuthError(peerId, 'the receiver refused our cluster key proof', { cause: err });
    case grpc.status.DEADLINE_EXCEEDED:
      return new HandoffFailedError(peerId, 'DEADLINE_EXCEEDED', err.details, { cause: err });
    default: {
      const code = err.metadata?.get(ERROR_CODE_HEADER)[0];
      return new HandoffFailedError(peerId, typeof code === 'string' ? code : grpc.status[err.code] ?? String(err.code), err.details, { cause: err });
    }
  }
}
