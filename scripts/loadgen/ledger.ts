import { status } from '@grpc/grpc-js';

/**
 * The loss check of a load run, as a ledger: every fix a player sent and what came of it, checked against the
 * scores the server's acks reported and, at the end, the committed score. Pure: SimPlayer records, this judges.
 *
 * Why it is exact: a fix is accepted only when its clientSeq is above every seq the player's actor has seen, so
 * accepted fixes are applied in seq order, and a fix that is not accepted changes nothing. Between two accepted
 * fixes p < a, only fixes with seqs between them can have changed the score; when all of those are known (acked,
 * or failed with a status that rules out any effect), ack_a.score must be ack_p.score plus a's awards exactly.
 * Trap beacons (negative points) need no special case, and later points cannot hide a lost write.
 */

/** What came of one fix, as the client saw it. Fixes that failed with a status that rules out any effect are left out. */
export type FixOutcome =
  /** The server answered: `points` is the sum of the ack's awards (what `accepted` added to the score). */
  | { seq: number; kind: 'acked'; accepted: boolean; score: number; points: number }
  /** No answer, or a failure after which the server may still have applied it (e.g. DEADLINE_EXCEEDED). */
  | { seq: number; kind: 'unknown' };

export interface PlayerCheck {
  /** Acked fixes whose effect is missing from a later ack or from the committed score: one per broken link. */
  lostAckedFixes: number;
  /** False when a link could not be checked because a fix of unknown outcome sits in it (or the committed score was not read). */
  verified: boolean;
}

/**
 * Statuses that guarantee the server applied nothing: the request was refused before it reached the player's actor
 * (overloaded mailbox, invalid fix, bad credential). Every other failure may have been applied.
 */
const NOTHING_APPLIED: ReadonlySet<number> = new Set([status.RESOURCE_EXHAUSTED, status.INVALID_ARGUMENT, status.UNAUTHENTICATED, status.PERMISSION_DENIED]);

/** Whether a fix that failed with `code` may still have changed the player's state. */
export function mightHaveApplied(code: number): boolean {
  return !NOTHING_APPLIED.has(code);
}

/** The committed score a duplicate fix's ack reports: its score less anything it added (a duplicate adds nothing). */
export function committedScoreOf(ack: { score: number; awards: ReadonlyArray<{ points: number }> }): number {
  return ack.score - pointsOf(ack.awards);
}

export function pointsOf(awards: ReadonlyArray<{ points: number }>): number {
  let sum = 0;
  for (const a of awards) sum += a.points;
  return sum;
}

/**
 * Checks one player's fixes (any order) against `committedScore`, the score the server holds once nothing is in
 * flight (undefined when it could not be read). The first accepted ack is not checked: the score before it is
 * unknown (a player id may carry points from an earlier run).
 */
export function checkPlayer(outcomes: readonly FixOutcome[], committedScore: number | undefined): PlayerCheck {
  const sorted = [...outcomes].sort((a, b) => a.seq - b.seq);
  let lostAckedFixes = 0;
  let verified = true;
  let prev: { seq: number; score: number } | undefined;
  let unknownSincePrev = false;
  for (const [i, o] of sorted.entries()) {
    if (o.kind === 'unknown') {
      unknownSincePrev = true;
      continue;
    }
    if (!o.accepted) {
      // A read of the state when it was processed: after `prev`, or after a later fix that overtook it.
      if (prev === undefined) continue;
      const later = sorted.slice(i + 1);
      if (unknownSincePrev || later.some((l) => l.kind === 'unknown')) verified = false;
      else if (o.score !== prev.score && !later.some((l) => l.kind === 'acked' && l.accepted && l.score === o.score)) lostAckedFixes++;
      continue;
    }
    if (prev !== undefined) {
      if (unknownSincePrev) verified = false;
      else if (o.score !== prev.score + o.points) lostAckedFixes++;
    }
    prev = o;
    unknownSincePrev = false;
  }
  if (prev === undefined) return { lostAckedFixes, verified };
  if (unknownSincePrev || committedScore === undefined) verified = false;
  else if (committedScore !== prev.score) lostAckedFixes++;
  return { lostAckedFixes, verified };
}

/** The ledger of many players: lost acked fixes summed, players with a link that could not be checked counted. */
export interface LedgerSummary {
  lostAckedFixes: number;
  unverifiedPlayers: number;
}

export function summarize(checks: Iterable<PlayerCheck>): LedgerSummary {
  const total = { lostAckedFixes: 0, unverifiedPlayers: 0 };
  for (const c of checks) {
    total.lostAckedFixes += c.lostAckedFixes;
    if (!c.verified) total.unverifiedPlayers++;
  }
  return total;
}
