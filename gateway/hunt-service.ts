import { Metadata, status as grpcStatus, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import type { Fix as GameFix, HuntGame } from '../actors/hunt/index.js';
import type { Logger } from '../actors/runtime/types.js';
import type { Event, Fix, FixAck, Leaderboard, LeaderboardRequest, SubscribeRequest, TreasureList, TreasureListRequest } from '../proto/gen/hunt.js';
import { HuntService, type HuntServer } from '../proto/gen/hunt.js';
import { authorizeKnownPlayer, authorizePlayer, type TokenVerifier } from './auth/index.js';
import { cursorFromSubscribeRequest, eventEnvelope } from './notify/cursor.js';
import type { Notifier, NotifyEvent, PlayerStream, SubscribeOptions } from './notify/notifier.js';
import type { ServiceBinding } from './grpcweb/index.js';
import { HeaderMetadata } from './h2stream/header-metadata.js';
import { isInternal, toGrpcError } from './errors.js';
import type { CallOutcomes } from './call-outcomes.js';
import { AdmissionGate, DEFAULT_MAX_CALLS_IN_FLIGHT, DEFAULT_MAX_STREAM_SETUPS_IN_FLIGHT } from './admission.js';
import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { sampledEdgeContext } from './edge-sampling.js';

export interface HuntServiceDeps {
  game: HuntGame;
  notifier: Notifier;
  verifier: TokenVerifier;
  logger: Logger;
  /**
   * Spans for edge calls (`Hunt/<method>`, joining a client's `traceparent`); none when absent. The node passes it
   * only with `ops.tracingEnabled`. Each call's sampling is decided here, before any span exists (edge-sampling.ts):
   * an unsampled call runs exactly as with tracing off, so only sampled traces cost anything (bench ops).
   */
  tracing?: { tracer: Tracer; sampleRatio: number };
  /**
   * A stream whose client reads slower than events arrive is ended (RESOURCE_EXHAUSTED) once this many events
   * wait in its buffer (beyond what HTTP/2 flow control holds); the client resumes from its cursor, so nothing is
   * lost and a slow phone cannot grow the node's memory. Counted in events: the call's buffer is an object-mode
   * stream, whose `writableLength` counts messages, not bytes. @default 1024
   */
  maxStreamBufferEvents?: number;
  /** Admission (gateway/admission.ts): unary calls and stream set-ups in flight; defaults when absent. */
  admission?: { calls: AdmissionGate; streamSetups: AdmissionGate };
  /** Counts every finished unary call by method and status (for `/metrics`); none when absent. */
  outcomes?: CallOutcomes;
}

/** Unsent events a slow stream may hold before it is cut (resumable); ~200 B each. @default 1024 */
export const DEFAULT_MAX_STREAM_BUFFER_EVENTS = 1_024;

/** Default top-N of GetLeaderboard when the request leaves it 0. @default 10 */
export const DEFAULT_LEADERBOARD_TOP_N = 10;

/**
 * The player API (proto `Hunt`), one implementation for native gRPC and gRPC-web. It holds no game state:
 * it checks the token, hands the request to the game's actors and streams the notifier's events.
 */
export function huntService(deps: HuntServiceDeps): ServiceBinding {
  const maxBuffer = deps.maxStreamBufferEvents ?? DEFAULT_MAX_STREAM_BUFFER_EVENTS;
  // One options object for every stream (the notifier passes the player id), not a closure per stream.
  const streamOptions: SubscribeOptions = {
    onError: (err, playerId) => deps.logger.warn({ err, playerId }, 'event replay failed; retrying'),
  };

  const fail = (method: string, err: unknown, metadata: Metadata | undefined) => {
    if (isInternal(err)) deps.logger.error({ err, method }, 'hunt call failed');
    else deps.logger.debug({ method, reason: (err as Error).message, hasMetadata: metadata !== undefined }, 'hunt call rejected');
    return toGrpcError(err);
  };
  const outcomes = deps.outcomes;
  /** `fail` for a unary call's answer: also counted by its status. */
  const failCall = (method: string, err: unknown, metadata: Metadata | undefined) => {
    const status = fail(method, err, metadata);
    outcomes?.count(method, status.code);
    return status;
  };

  const calls = deps.admission?.calls ?? new AdmissionGate('player calls', DEFAULT_MAX_CALLS_IN_FLIGHT);
  const streamSetups = deps.admission?.streamSetups ?? new AdmissionGate('stream set-ups', DEFAULT_MAX_STREAM_SETUPS_IN_FLIGHT);

  const finish = <Res>(method: string, call: { metadata: Metadata }, callback: sendUnaryData<Res>, done: Promise<Res>) =>
    done.then(
      (res) => {
        calls.leave();
        outcomes?.count(method, grpcStatus.OK);
        callback(null, res);
      },
      (err) => {
        calls.leave();
        callback(failCall(method, err, call.metadata));
      },
    );

  /** Refused at admission (the node is at capacity): answered at once, nothing started. */
  const refuse = (method: string, err: unknown, metadata: Metadata, callback: sendUnaryData<never>) => callback(failCall(method, err, metadata));

  const unary = <Req, Res>(method: string, body: (call: ServerUnaryCall<Req, Res>) => Promise<Res>) => {
    const tracing = deps.tracing;
    if (tracing === undefined) {
      return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
        if (!calls.tryEnter()) return refuse(method, calls.refusal, call.metadata, callback);
        void finish(method, call, callback, body(call));
      };
    }
    const { tracer, sampleRatio } = tracing;
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      if (!calls.tryEnter()) return refuse(method, calls.refusal, call.metadata, callback);
      const parent = sampledEdgeContext(call.metadata, sampleRatio);
      if (parent === undefined) {
        void finish(method, call, callback, body(call));
        return;
      }
      // One span per sampled edge call; actor sends inside it carry its context to every actor and node the call reaches.
      const span = tracer.startSpan(`Hunt/${method}`, { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.method': method } }, parent);
      const ctx = trace.setSpan(parent, span);
      context.with(ctx, body, undefined, call).then(
        (res) => {
          calls.leave();
          span.end();
          outcomes?.count(method, grpcStatus.OK);
          callback(null, res);
        },
        (err) => {
          calls.leave();
          // In the call's context, so the log line about it carries the trace's ids.
          const status = context.with(ctx, failCall, undefined, method, err, call.metadata);
          span.setAttribute('rpc.grpc.status_code', status.code);
          span.setStatus({ code: SpanStatusCode.ERROR, message: status.details });
          span.end();
          callback(status);
        },
      );
    };
  };

  const implementation: HuntServer = {
    reportFix: unary<Fix, FixAck>('ReportFix', async (call) => {
      const req = call.request;
      const fix: GameFix = req.gps
        ? { clientSeq: req.clientSeq, clientTimeMs: req.clientTimeMs, readings: req.readings, gps: req.gps }
        : { clientSeq: req.clientSeq, clientTimeMs: req.clientTimeMs, readings: req.readings };
      // A phone's every fix after its first finds its token verified: no promise for that (bench gateway).
      const ack = await (authorizeKnownPlayer(call.metadata, deps.verifier, req.playerId) !== undefined
        ? deps.game.reportFix(req.playerId, fix)
        : afterInCallContext(authorizePlayer(call.metadata, deps.verifier, req.playerId), () => deps.game.reportFix(req.playerId, fix)));
      return {
        accepted: ack.accepted,
        closestBeaconId: ack.closestBeaconId ?? '',
        score: ack.score,
        awards: ack.awards,
        achievements: ack.achievements,
        claimedTreasures: ack.claimedTreasures,
      };
    }),

    getTreasureList: unary<TreasureListRequest, TreasureList>('GetTreasureList', async (call) => {
      return afterInCallContext(authorizePlayer(call.metadata, deps.verifier), () => deps.game.treasureList(call.request.buildingId));
    }),

    getLeaderboard: unary<LeaderboardRequest, Leaderboard>('GetLeaderboard', async (call) => {
      const claims = authorizePlayer(call.metadata, deps.verifier, call.request.playerId || undefined);
      const board = await afterInCallContext(claims, (c) => deps.game.leaderboard(c.playerId, call.request.topN || DEFAULT_LEADERBOARD_TOP_N));
      return { top: board.top, own: board.own ?? undefined, asOfMs: board.asOfMs };
    }),

    subscribe: (call: ServerWritableStream<SubscribeRequest, Event>) => {
      if (!streamSetups.tryEnter()) {
        call.destroy(fail('Subscribe', streamSetups.refusal, call.metadata) as Error);
        return;
      }
      // The slot is held while the stream is set up (token, notifier, profile), not while it stays open.
      subscribe(call, deps, maxBuffer, streamOptions).then(
        () => streamSetups.leave(),
        (err) => {
          streamSetups.leave();
          if (!call.cancelled) call.destroy(fail('Subscribe', err, call.metadata) as Error);
        },
      );
    },
  };
  return { definition: HuntService, implementation };
}

/**
 * `next(await first)` in the trace context the call was in when this was called: the node's context manager carries
 * none across an await (ops/telemetry/tracing.ts), and the actors a sampled call reaches must join its trace.
 */
async function afterInCallContext<A, T>(first: Promise<A>, next: (value: A) => T | Promise<T>): Promise<T> {
  const ctx = context.active();
  const value = await first;
  return context.with(ctx, next, undefined, value);
}

/**
 * Per open stream this keeps only the notifier's stream, one event listener and one close listener: 20k open streams
 * are the edge's memory (bench gateway, `heapBytesPerOpenStream`), so nothing else may stay reachable from a call.
 */
async function subscribe(call: ServerWritableStream<SubscribeRequest, Event>, deps: HuntServiceDeps, maxBuffer: number, options: SubscribeOptions): Promise<void> {
  const req = call.request;
  await authorizePlayer(call.metadata, deps.verifier, req.playerId);
  // grpc-js keeps the request metadata as long as the call: the token (and the rest) would stay ~300 B per stream.
  clearMetadata(call.metadata);
  const cursor = cursorFromSubscribeRequest(req);
  if (call.cancelled) return;
  const stream = deps.notifier.subscribe(req.playerId, cursor, (event) => onEvent(call, stream, event, maxBuffer), options);
  // Headers now, not with the first event: the client learns at once that its stream is live.
  call.sendMetadata(new Metadata());
  // grpc-js and the gRPC-web call both emit 'close' after an error or an end; a gRPC-web cancel only 'cancelled'.
  // `on`, not `once`: a once wrapper is two more objects per stream, and unsubscribe is idempotent.
  const close = () => stream.unsubscribe();
  call.on('cancelled', close);
  call.on('close', close);
  // A player already inside a building gets that building's list changes from the start. The profile read does not
  // activate an idle player (`readOnly` in actors/hunt/player.ts): a stream must not hold its actor in memory.
  const profile = await deps.game.profile(req.playerId);
  const building = profile.session.buildingId;
  if (building && !call.cancelled) stream.follow(building);
}

function onEvent(call: ServerWritableStream<SubscribeRequest, Event>, stream: PlayerStream, event: NotifyEvent, maxBuffer: number): void {
  if (call.cancelled) return;
  const body = event.body as Event['body'];
  // The building stream follows the player: entering a building switches the channel this stream merges in (from
  // the client's cursor for that building, if it sent one).
  if (body?.$case === 'buildingEntered' && event.channel.startsWith('user.')) stream.follow(body.value);
  call.write({ ...eventEnvelope(event), body } as Event);
  if (call.writableLength > maxBuffer) {
    stream.unsubscribe();
    call.destroy(Object.assign(new Error('client reads too slowly; resume from your last seq'), { code: 8 /* RESOURCE_EXHAUSTED */ }));
  }
}

function clearMetadata(metadata: Metadata): void {
  // A native call's lazy metadata lets go of its request headers without building the map first.
  if (metadata instanceof HeaderMetadata) return metadata.clear();
  for (const key of Object.keys(metadata.getMap())) metadata.remove(key);
}
