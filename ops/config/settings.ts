import { z } from 'zod';

/**
 * Every setting of a Quarry node, in one table: its key, type, default, unit (in the name) and meaning.
 * The README's configuration table is generated from this list (`quarry config --markdown`), and a test
 * fails when the two drift apart. No setting has a hidden default and 0 never means "unlimited".
 */
export interface Setting<T = unknown> {
  readonly key: string;
  readonly schema: z.ZodType<T>;
  readonly default: T;
  readonly doc: string;
  /** Secret values are never printed or logged; `quarry config` shows `<set>` / `<missing>`. */
  readonly secret?: boolean;
}

function setting<T>(key: string, schema: z.ZodType<T>, def: T, doc: string, secret = false): Setting<T> {
  return { key, schema, default: def, doc, secret };
}

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();
const positiveMs = z.number().int().positive();
const hostPort = z.string().regex(/^[^:\s]+:\d{1,5}$/, 'must be host:port');
/** A PEM file, or null: the feature it enables is off. */
const pemFile = z.string().min(1).nullable();

/** Node identity and addresses. Port 0 asks the OS for a free port (tests use that). */
export const SETTINGS = [
  setting('node.id', z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ - only'), 'node-1', 'Name of this node, unique in the cluster.'),
  setting('node.host', z.string().min(1), '127.0.0.1', 'Address this node binds and advertises.'),
  setting('node.gossipPort', port, 7946, 'UDP port for membership gossip (0 = any free port).'),
  setting('node.grpcPort', port, 7100, 'Port for native gRPC: players, peers and operators (0 = any free port).'),
  setting('node.httpPort', port, 8080, 'HTTP port: gRPC-web, the player page and the inspector (0 = any free port).'),
  setting('node.dataDir', z.string().min(1), './data/node-1', 'Folder of this node\'s LMDB files.'),
  setting('node.seeds', z.array(hostPort), [] as string[], 'Gossip addresses (host:port) of members to join at start; empty starts a new cluster.'),

  setting('runtime.passivationIdleMs', positiveMs, 120_000, 'An actor idle this long is snapshotted and leaves memory.'),
  setting('runtime.passivationTickMs', positiveMs, 1_000, 'Resolution of the passivation wheel: how often idle actors are collected.'),
  setting('runtime.snapshotEveryMessages', positiveInt, 100, 'Write a full snapshot after this many state-changing messages (journal in between).'),
  setting('runtime.mailboxCapacity', positiveInt, 10_000, 'Messages queued per actor before sends fail with an overload error.'),
  setting('runtime.askTimeoutMs', positiveMs, 5_000, 'Default deadline of an ask when the caller gives none.'),

  setting('store.mapSizeMb', positiveInt, 4_096, 'Largest size the LMDB environment may grow to.'),
  setting('store.ttlSweepIntervalMs', positiveMs, 60_000, 'How often expired session and audit entries are deleted.'),
  setting('store.auditRetentionDays', positiveInt, 14, 'How long award and claim audit entries are kept.'),

  setting('hunt.file', z.string().min(1), 'actors/hunt/samples/city-hunt.json', 'Hunt definition file (JSON or YAML).'),
  setting('hunt.sessionTtlMinutes', positiveInt, 30, 'A player\'s live session (smoothing, current beacon) expires after this long without fixes; the profile stays.'),
  setting('hunt.leaderboardStalenessMs', positiveMs, 1_000, 'Most the global leaderboard may lag behind scores (at most 2000).'),
  setting('hunt.maxClockAheadMs', positiveMs, 30_000, 'A fix stamped further than this ahead of the node\'s clock is refused (INVALID_ARGUMENT): a phone with a wrong clock.'),

  setting('cluster.key', z.string().min(16, 'must be at least 16 characters'), 'quarry-dev-cluster-key-change-me', 'Shared secret that authenticates gossip packets and node links.', true),
  setting('cluster.replicationFactor', z.number().int().min(1).max(5), 2, 'Copies of each actor\'s snapshot and journal, counting the owner.'),
  setting('cluster.durability', z.enum(['local', 'replicated']), 'local' as 'local' | 'replicated', 'local: ack after the owner\'s LMDB commit; replicated: also after one replica has it.'),
  setting('cluster.maxForwardHops', z.number().int().min(1).max(8), 3, 'How often a message may be forwarded to a newer owner before it fails.'),
  setting('cluster.handoffActorsPerSec', positiveInt, 20_000, 'Rate limit of actor hand-off on join and leave.'),
  setting('cluster.joinTimeoutMs', positiveMs, 60_000, 'A node started with seeds (node.seeds, --join) that no seed has admitted after this long exits with code 4; until then it retries and serves nobody.'),
  setting('cluster.tlsCaFile', pemFile, null as string | null, 'PEM of the CA that signs every node\'s certificate: node links use TLS and check the peer\'s certificate against it, and a connection presenting a certificate it did not sign is refused (null: links in clear, authenticated by cluster.key only).'),
  setting('cluster.tlsCertFile', pemFile, null as string | null, 'PEM certificate (chain) of this node, signed by cluster.tlsCaFile: shown to peers it dials and, without gateway.tlsCertFile, on the gRPC port.'),
  setting('cluster.tlsKeyFile', pemFile, null as string | null, 'PEM private key of cluster.tlsCertFile.'),
  setting('cluster.membershipPreset', z.enum(['lan', 'local']), 'lan' as 'lan' | 'local', 'Membership timing preset (see the failure-detection formula in the README).'),

  setting('gateway.maxMessageBytes', z.number().int().min(256).max(16 * 1024 * 1024), 64 * 1024, 'Largest request a player may send, for gRPC and gRPC-web alike.'),
  setting('gateway.maxInFlightCalls', positiveInt, 256, 'Unary player calls one node handles at once; the next is refused at once with RESOURCE_EXHAUSTED (retry with backoff).'),
  setting('gateway.maxInFlightSubscribes', positiveInt, 256, 'Event streams one node sets up at once; the next Subscribe is refused at once with RESOURCE_EXHAUSTED.'),
  setting('gateway.admissionTargetLagMs', positiveMs, 1000, 'Event-loop delay (p99 per 100 ms) above which a node admits fewer calls and stream set-ups than the two caps above, so its refusals stay fast when it shares its cores.'),
  setting('gateway.corsOrigins', z.array(z.string().url().or(z.literal('*'))), [] as string[], 'Browser origins allowed to call gRPC-web from another origin (same-origin always works).'),
  setting('gateway.tokenSecret', z.string().min(32, 'must be at least 32 characters'), 'quarry-dev-token-secret-0123456789abcdef', 'HS256 key that signs player tokens.', true),
  setting('gateway.tlsCertFile', pemFile, null as string | null, 'PEM certificate (chain) for the player ports: native gRPC and gRPC-web and the page over HTTPS (null: in clear). Needs cluster.tls*, since node links dial the same gRPC port; the CA file must hold its issuer.'),
  setting('gateway.tlsKeyFile', pemFile, null as string | null, 'PEM private key of gateway.tlsCertFile.'),
  setting('gateway.tokenTtlMinutes', positiveInt, 720, 'Lifetime of tokens made by `quarry token issue`.'),

  setting('notify.backend', z.enum(['in-process', 'nats']), 'in-process' as 'in-process' | 'nats', 'Where player events go: an in-process bus (one node) or NATS JetStream.'),
  setting('notify.natsUrl', z.string().min(1), 'nats://127.0.0.1:4222', 'NATS server, used when notify.backend is nats.'),
  setting('notify.dedupWindowMs', positiveMs, 300_000, 'JetStream duplicate window: a re-published event id within it is dropped.'),
  setting('notify.replayRetainEvents', positiveInt, 1_000, 'Events kept per player for replay after a lost connection.'),
  setting('notify.outboxFlushIntervalMs', positiveMs, 50, 'How often the outbox retries publishing committed events.'),

  setting('ops.operatorToken', z.string().min(16, 'must be at least 16 characters'), 'quarry-dev-operator-token', 'Credential for admin and inspector calls (bearer token).', true),
  setting('ops.allowDevSecrets', z.boolean(), false, 'Allow the built-in development secrets (cluster.key, gateway.tokenSecret, ops.operatorToken); the demo sets it, production must not.'),
  setting('ops.logLevel', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']), 'info' as string, 'Least severe log level written.'),
  setting('ops.tracingEnabled', z.boolean(), false, 'Export traces over OTLP (endpoint from the standard OTEL_EXPORTER_OTLP_* variables).'),
  setting('ops.tracingSampleRatio', z.number().min(0).max(1), 0.1, 'Fraction of new traces sampled; a sampled parent is always honoured.'),
  setting('ops.v8Pretenuring', z.boolean(), false, "V8's allocation-site pretenuring in the node process. Off: after one burst of slow calls V8 allocates grpc-js call objects in the old generation for good, every later call is promoted and full GCs stall the node (BENCHMARKS.md, gateway)."),
] as const satisfies readonly Setting<any>[];

export type SettingKey = (typeof SETTINGS)[number]['key'];
