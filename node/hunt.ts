/** The game a node serves: the hunt from `hunt.file`, its kinds with the `hunt.*` settings, and its player edge. */
import type { Tracer } from '@opentelemetry/api';
import { HuntDefinitionError, HuntGame, huntKinds, loadHuntFile, type AuditSource, type HuntDefinition, type HuntKinds } from '../actors/hunt/index.js';
import type { ActorSystem, Clock, Logger } from '../actors/runtime/types.js';
import { AdmissionGate, DEFAULT_RETRY_PUSHBACK_MS, LagGovernor } from '../gateway/admission.js';
import { TokenVerifier } from '../gateway/auth/index.js';
import { CallOutcomes } from '../gateway/call-outcomes.js';
import { huntService } from '../gateway/hunt-service.js';
import type { Notifier } from '../gateway/notify/notifier.js';
import type { ServiceBinding } from '../gateway/grpcweb/index.js';
import { createWebHandler, type WebHandler } from '../gateway/web/serve.js';
import { ConfigError, type NodeConfig } from '../ops/config/index.js';

/** The hunt file, or a ConfigError naming `hunt.file` (the node exits 2 with it, like any bad setting). */
export function huntOrConfigError(file: string): HuntDefinition {
  try {
    return loadHuntFile(file);
  } catch (err) {
    if (err instanceof HuntDefinitionError) throw new ConfigError('hunt.file', err.message, { cause: err });
    if ((err as { code?: unknown }).code === 'ENOENT' || (err as { code?: unknown }).code === 'EACCES') throw new ConfigError('hunt.file', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
    throw err;
  }
}

export interface HuntPart {
  readonly definition: HuntDefinition;
  readonly kinds: HuntKinds;
  /** The player page and `/hunt.json`, for the HTTP port. */
  readonly web: WebHandler;
}

export function huntPart(config: NodeConfig): HuntPart {
  const definition = huntOrConfigError(config.hunt.file);
  const kinds = huntKinds(definition, {
    sessionTtlMinutes: config.hunt.sessionTtlMinutes,
    leaderboardStalenessMs: config.hunt.leaderboardStalenessMs,
    fixLimits: { maxClockAheadMs: config.hunt.maxClockAheadMs },
  });
  return { definition, kinds, web: createWebHandler({ hunt: definition }) };
}

export interface Admission {
  readonly calls: AdmissionGate;
  readonly streamSetups: AdmissionGate;
  /** Narrows both gates while the event loop runs later than `gateway.admissionTargetLagMs`; stopped with the node. */
  readonly governor: LagGovernor;
}

/** The in-flight limits of player calls and stream set-ups (`gateway.maxInFlight*`), narrowed under loop lag. */
export function admissionGates(config: NodeConfig): Admission {
  const governor = new LagGovernor(config.gateway.admissionTargetLagMs);
  governor.start();
  return {
    calls: new AdmissionGate('player calls', config.gateway.maxInFlightCalls, DEFAULT_RETRY_PUSHBACK_MS, governor),
    streamSetups: new AdmissionGate('stream set-ups', config.gateway.maxInFlightSubscribes, DEFAULT_RETRY_PUSHBACK_MS, governor),
    governor,
  };
}

export interface PlayerEdge {
  readonly game: HuntGame;
  readonly service: ServiceBinding;
}

export interface PlayerEdgeOptions {
  config: NodeConfig;
  hunt: HuntPart;
  system: ActorSystem;
  audit: AuditSource;
  clock: Clock;
  notifier: Notifier;
  admission: Admission;
  outcomes: CallOutcomes;
  logger: Logger;
  tracer?: Tracer;
}

/** `HuntGame` over the cluster's ActorSystem, and the player service that calls it behind the admission gates. */
export function playerEdge(o: PlayerEdgeOptions): PlayerEdge {
  const game = new HuntGame(o.hunt.kinds, { system: o.system, clock: o.clock, audit: o.audit });
  const verifier = new TokenVerifier({ hs256Secret: o.config.gateway.tokenSecret });
  const service = huntService({ game, notifier: o.notifier, verifier, logger: o.logger, admission: o.admission, outcomes: o.outcomes, ...(o.tracer ? { tracing: { tracer: o.tracer, sampleRatio: o.config.ops.tracingSampleRatio } } : {}) });
  return { game, service };
}
