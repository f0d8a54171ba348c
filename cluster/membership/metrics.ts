/** Counters of one membership instance (monotonic since start), plus the current local health score. */
export interface MembershipMetrics {
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  /** Bad or missing HMAC: no cluster key, wrong key, or altered in flight. */
  packetsUnauthenticated: number;
  packetsMalformed: number;
  /** Outside the replay window, or a (sender, nonce) seen before. */
  packetsReplayed: number;
  /** Authenticated packets whose sender id is ours: another process claims to be us. */
  packetsImpersonating: number;
  /** "alive" for our id with another address; refuted with a higher incarnation. */
  impersonationsRefuted: number;
  /** Messages about an older incarnation than the one we hold. */
  staleMessages: number;
  suspicionsRaised: number;
  suspicionsRefuted: number;
  deathsDeclared: number;
  deathsRefuted: number;
  probes: number;
  probesFailed: number;
  /** Direct ping timed out but an ack came once ping-reqs were out (one-way loss, slow link). */
  probesAckedAfterIndirect: number;
  /** Probes not judged because our own timers fired late (event-loop stall). */
  probesInconclusive: number;
  lagStalls: number;
  maxLagMs: number;
  localHealthScore: number;
}

export function emptyMetrics(): MembershipMetrics {
  return {
    packetsSent: 0,
    bytesSent: 0,
    packetsReceived: 0,
    packetsUnauthenticated: 0,
    packetsMalformed: 0,
    packetsReplayed: 0,
    packetsImpersonating: 0,
    impersonationsRefuted: 0,
    staleMessages: 0,
    suspicionsRaised: 0,
    suspicionsRefuted: 0,
    deathsDeclared: 0,
    deathsRefuted: 0,
    probes: 0,
    probesFailed: 0,
    probesAckedAfterIndirect: 0,
    probesInconclusive: 0,
    lagStalls: 0,
    maxLagMs: 0,
    localHealthScore: 0,
  };
}
