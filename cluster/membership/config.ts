/**
 * Membership timing and limits. Two presets: `lanDefaults()` (nodes on one LAN / data centre) and
 * `localDefaults()` (nodes on one machine: tests, the demo). The formulas below are memberlist's
 * (util.go `suspicionTimeout`, `retransmitLimit`) so its published analysis carries over.
 */

/** Time between two probes of this node (one member per tick, round-robin), in ms. @default 500 (LAN) */
export const DEFAULT_PROBE_INTERVAL_MS = 500;
/** How long a direct ping waits for an ack before indirect probes start, in ms. @default 200 (LAN) */
export const DEFAULT_PROBE_TIMEOUT_MS = 200;
/** Members asked to ping a target indirectly when the direct ping timed out. @default 3 */
export const DEFAULT_INDIRECT_CHECKS = 3;
/** Minimum suspicion time = suspicionMult * max(1, log10 N) * probeIntervalMs. @default 3 */
export const DEFAULT_SUSPICION_MULT = 3;
/** Maximum suspicion time (no confirmations) = this * the minimum. @default 4 */
export const DEFAULT_SUSPICION_MAX_TIMEOUT_MULT = 4;
/** A broadcast is piggybacked at most retransmitMult * ceil(log10(N + 1)) times. @default 4 */
export const DEFAULT_RETRANSMIT_MULT = 4;
/** Time between two gossip rounds that send queued broadcasts, in ms. @default 100 (LAN) */
export const DEFAULT_GOSSIP_INTERVAL_MS = 100;
/** Random members each gossip round sends to. @default 3 */
export const DEFAULT_GOSSIP_NODES = 3;
/** How long dead members still receive gossip (so a falsely dead node hears it and refutes), in ms. @default 15000 */
export const DEFAULT_GOSSIP_TO_THE_DEAD_MS = 15_000;
/** Time between two full state exchanges with one random member, in ms. @default 15000 (LAN) */
export const DEFAULT_PUSH_PULL_INTERVAL_MS = 15_000;
/** Lifeguard local health: timeouts are multiplied by (score + 1), score < this. @default 8 */
export const DEFAULT_AWARENESS_MAX_MULTIPLIER = 8;
/** A timer of ours firing later than this means our own event loop stalled: the probe is inconclusive, in ms. @default 80 (LAN) */
export const DEFAULT_LAG_TOLERANCE_MS = 80;
/** Period of the event-loop lag sampler, in ms. @default 100 */
export const DEFAULT_LAG_SAMPLE_INTERVAL_MS = 100;
/** Packets stamped further than this from our clock are replays (or need NTP), in ms. @default 10000 */
export const DEFAULT_REPLAY_WINDOW_MS = 10_000;
/** Largest gossip datagram we send (fits a 1500-byte Ethernet MTU with IP/UDP headers), in bytes. @default 1400 */
export const DEFAULT_MAX_PACKET_BYTES = 1_400;
/** Dead or left members are forgotten this long after they changed state (probing/reconnecting stops), in ms. @default 3600000 */
export const DEFAULT_DEAD_MEMBER_RETENTION_MS = 3_600_000;
/** How long `join()` keeps retrying its seeds before giving up, in ms. @default 5000 */
export const DEFAULT_JOIN_TIMEOUT_MS = 5_000;

export interface MembershipConfig {
  probeIntervalMs: number;
  probeTimeoutMs: number;
  indirectChecks: number;
  suspicionMult: number;
  suspicionMaxTimeoutMult: number;
  retransmitMult: number;
  gossipIntervalMs: number;
  gossipNodes: number;
  gossipToTheDeadMs: number;
  pushPullIntervalMs: number;
  awarenessMaxMultiplier: number;
  lagToleranceMs: number;
  lagSampleIntervalMs: number;
  replayWindowMs: number;
  maxPacketBytes: number;
  joinTimeoutMs: number;
  deadMemberRetentionMs: number;
}

export function lanDefaults(): MembershipConfig {
  return {
    probeIntervalMs: DEFAULT_PROBE_INTERVAL_MS,
    probeTimeoutMs: DEFAULT_PROBE_TIMEOUT_MS,
    indirectChecks: DEFAULT_INDIRECT_CHECKS,
    suspicionMult: DEFAULT_SUSPICION_MULT,
    suspicionMaxTimeoutMult: DEFAULT_SUSPICION_MAX_TIMEOUT_MULT,
    retransmitMult: DEFAULT_RETRANSMIT_MULT,
    gossipIntervalMs: DEFAULT_GOSSIP_INTERVAL_MS,
    gossipNodes: DEFAULT_GOSSIP_NODES,
    gossipToTheDeadMs: DEFAULT_GOSSIP_TO_THE_DEAD_MS,
    pushPullIntervalMs: DEFAULT_PUSH_PULL_INTERVAL_MS,
    awarenessMaxMultiplier: DEFAULT_AWARENESS_MAX_MULTIPLIER,
    lagToleranceMs: DEFAULT_LAG_TOLERANCE_MS,
    lagSampleIntervalMs: DEFAULT_LAG_SAMPLE_INTERVAL_MS,
    replayWindowMs: DEFAULT_REPLAY_WINDOW_MS,
    maxPacketBytes: DEFAULT_MAX_PACKET_BYTES,
    joinTimeoutMs: DEFAULT_JOIN_TIMEOUT_MS,
    deadMemberRetentionMs: DEFAULT_DEAD_MEMBER_RETENTION_MS,
  };
}

/** One machine (tests, demo): loopback has no real loss, so shorter rounds; suspicion kept >= 4 intervals. */
export function localDefaults(): MembershipConfig {
  return {
    ...lanDefaults(),
    probeIntervalMs: 200,
    probeTimeoutMs: 100,
    suspicionMult: 4,
    suspicionMaxTimeoutMult: 3,
    retransmitMult: 3,
    gossipIntervalMs: 50,
    pushPullIntervalMs: 5_000,
    lagToleranceMs: 50,
    joinTimeoutMs: 3_000,
  };
}

export function presetConfig(preset: 'lan' | 'local'): MembershipConfig {
  return preset === 'lan' ? lanDefaults() : localDefaults();
}

export class MembershipConfigError extends Error {
  override readonly name = 'MembershipConfigError';
  constructor(readonly key: keyof MembershipConfig, rule: string, options?: ErrorOptions) {
    super(`membership config ${key}: ${rule}`, options);
  }
}

/** Throws naming the key and the rule; never clamps. */
export function validateMembershipConfig(c: MembershipConfig): MembershipConfig {
  for (const [key, value] of Object.entries(c) as Array<[keyof MembershipConfig, number]>) {
    if (!Number.isInteger(value) || value <= 0) throw new MembershipConfigError(key, `must be a positive integer, got ${value}`);
  }
  if (c.probeTimeoutMs >= c.probeIntervalMs) throw new MembershipConfigError('probeTimeoutMs', `must be less than probeIntervalMs (${c.probeIntervalMs})`);
  if (c.suspicionMult < 2) throw new MembershipConfigError('suspicionMult', 'must be at least 2');
  if (c.maxPacketBytes < 512 || c.maxPacketBytes > 65_000) throw new MembershipConfigError('maxPacketBytes', 'must be within 512..65000');
  return c;
}

/**
 * The soonest peers can declare a member dead after it stops answering, in ms: a probe's timeout plus the minimum
 * suspicion (a cluster of fewer than 10). A member stopped that long may have lost its actors (`MemberView`'s stall
 * watchdog, cluster/routing/member-view.ts).
 */
export function soonestDeathMs(config: MembershipConfig): number {
  return config.probeTimeoutMs + suspicionTimeoutMs(config.suspicionMult, 1, config.probeIntervalMs);
}

/** memberlist util.go: the minimum suspicion time grows with log10 of the cluster size. */
export function suspicionTimeoutMs(suspicionMult: number, n: number, probeIntervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  return Math.floor(suspicionMult * nodeScale * probeIntervalMs);
}

/** memberlist util.go: how many times one broadcast is piggybacked before it is dropped. */
export function retransmitLimit(retransmitMult: number, n: number): number {
  return retransmitMult * Math.ceil(Math.log10(n + 1));
}

/**
 * Worst-case time from a crash until every healthy member holds the member as dead, for N members:
 *   2(N-1)·I            a member's round-robin reaches the crashed node and the probe fails (I = probeIntervalMs)
 * + Smax·S·max(1,log10 N)·I   suspicion with no confirmations (S = suspicionMult, Smax = suspicionMaxTimeoutMult)
 * + R·ceil(log10(N+1))·G      the dead broadcast's retransmits (R = retransmitMult, G = gossipIntervalMs)
 */
export function worstCaseDetectionMs(c: MembershipConfig, n: number): number {
  const firstFailedProbe = 2 * (n - 1) * c.probeIntervalMs;
  const suspicion = c.suspicionMaxTimeoutMult * suspicionTimeoutMs(c.suspicionMult, n, c.probeIntervalMs);
  const dissemination = retransmitLimit(c.retransmitMult, n) * c.gossipIntervalMs;
  return firstFailedProbe + suspicion + dissemination;
}
