import type { LoadedConfig } from './load.js';

/** The validated configuration of one node, as the code reads it. Built only by `nodeConfig()`. */
export interface NodeConfig {
  node: { id: string; host: string; gossipPort: number; grpcPort: number; httpPort: number; dataDir: string; seeds: string[] };
  runtime: { passivationIdleMs: number; passivationTickMs: number; snapshotEveryMessages: number; mailboxCapacity: number; askTimeoutMs: number };
  store: { mapSizeMb: number; ttlSweepIntervalMs: number; auditRetentionDays: number };
  hunt: { file: string; sessionTtlMinutes: number; leaderboardStalenessMs: number; maxClockAheadMs: number };
  cluster: {
    key: string;
    replicationFactor: number;
    durability: 'local' | 'replicated';
    maxForwardHops: number;
    handoffActorsPerSec: number;
    joinTimeoutMs: number;
    membershipPreset: 'lan' | 'local';
    tlsCaFile: string | null;
    tlsCertFile: string | null;
    tlsKeyFile: string | null;
  };
  gateway: { maxMessageBytes: number; maxInFlightCalls: number; maxInFlightSubscribes: number; admissionTargetLagMs: number; corsOrigins: string[]; tokenSecret: string; tokenTtlMinutes: number; tlsCertFile: string | null; tlsKeyFile: string | null };
  notify: { backend: 'in-process' | 'nats'; natsUrl: string; dedupWindowMs: number; replayRetainEvents: number; outboxFlushIntervalMs: number };
  ops: { operatorToken: string; allowDevSecrets: boolean; logLevel: string; tracingEnabled: boolean; tracingSampleRatio: number; v8Pretenuring: boolean };
}

/** Nests the flat, already validated values: `{'runtime.passivationIdleMs': 1}` -> `{runtime: {passivationIdleMs: 1}}`. */
export function nodeConfig(loaded: LoadedConfig): NodeConfig {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [key, value] of Object.entries(loaded.values)) {
    const [section, name] = key.split('.') as [string, string];
    (out[section] ??= {})[name] = value;
  }
  return out as unknown as NodeConfig;
}
