import type * as grpc from '@grpc/grpc-js';
import type { PeerLink } from './link.js';

/** One link stream of `GrpcTransport`, whichever side dialled it. */
export type Stream = grpc.ClientDuplexStream<Buffer, Buffer> | grpc.ServerDuplexStream<Buffer, Buffer>;

/** What `GrpcTransport` keeps per peer. */
export interface Peer {
  readonly id: string;
  readonly link: PeerLink;
  address: string | undefined;
  client: grpc.Client | undefined;
  /** Our dial whose acceptor has not yet proved the key. */
  dialing: grpc.ClientDuplexStream<Buffer, Buffer> | undefined;
  /** The stream the link is attached to, and whether we dialled it. */
  current: Stream | undefined;
  outbound: boolean;
  attempt: number;
  retryTimer: unknown;
  waiters: Array<{ resolve(): void; reject(err: Error): void }>;
  /** A TCP probe of the peer's port is in flight (see `probePort`). */
  probing: boolean;
  /** When bytes last came over its link, on this transport's clock (0: never). */
  heardAtMs: number;
}
