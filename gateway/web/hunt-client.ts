/** The Hunt service over gRPC-web, typed with the ts-proto messages (encoders only; no grpc-js at runtime). */
import { HuntDefinition as HuntMethods, type MessageFns } from '../../proto/gen/hunt.js';
import type { Event, Fix, FixAck, Leaderboard, SubscribeRequest, TreasureList } from '../../proto/gen/hunt.js';
import { GrpcWebClient, type CallOptions, type GrpcWebClientOptions } from './grpcweb-client.js';

function methodPath(name: string): string {
  return `/${HuntMethods.fullName}/${name}`;
}

export class HuntWebClient {
  private readonly rpc: GrpcWebClient;

  constructor(options: GrpcWebClientOptions) {
    this.rpc = new GrpcWebClient(options);
  }

  reportFix(fix: Fix, call?: CallOptions): Promise<FixAck> {
    return this.unary(HuntMethods.methods.reportFix, fix, call);
  }

  getTreasureList(buildingId: string, call?: CallOptions): Promise<TreasureList> {
    return this.unary(HuntMethods.methods.getTreasureList, { buildingId }, call);
  }

  getLeaderboard(playerId: string, topN: number, call?: CallOptions): Promise<Leaderboard> {
    return this.unary(HuntMethods.methods.getLeaderboard, { playerId, topN }, call);
  }

  /** The player's event stream from the request's cursors; iterate it, break (or abort `call.signal`) to cancel. */
  async *subscribe(request: SubscribeRequest, call?: CallOptions): AsyncGenerator<Event, void, undefined> {
    const method = HuntMethods.methods.subscribe;
    const encoded = method.requestType.encode(request).finish();
    for await (const bytes of this.rpc.serverStream(methodPath(method.name), encoded, call)) {
      yield method.responseType.decode(bytes);
    }
  }

  private async unary<Req, Res>(
    method: { readonly name: string; readonly requestType: MessageFns<Req>; readonly responseType: MessageFns<Res> },
    request: Req,
    call?: CallOptions,
  ): Promise<Res> {
    const bytes = await this.rpc.unary(methodPath(method.name), method.requestType.encode(request).finish(), call);
    return method.responseType.decode(bytes);
  }
}
