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
 * (The actor knows the last seq from its session, or after a reactivation from its persisted events; a fix delayed
 * past a later one across a reactivation could be accepted out of order. Load players send seconds apart, each fix
 * with a deadline, so a run does not meet this; a report of lost fixes should still be read with it in mind.)
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
 * A player's check so far, over every fix up to some seq: what a long run keeps instead of every outcome (the
 * demo runs for days). `pendingReads` are scores that refused acks (accepted=false) reported and that no accepted
 * ack has reported yet: a later fix may have overtaken the refused one, so they are settled by later acks or at the end.
 */
export interface LedgerFold {
  lostAckedFixes: number;
  verified: boolean;
  /** The last accepted ack. */
  last: { seq: number; score: number } | undefined;
  unknownSinceLast: boolean;
  pendingReads: number[];
}

export const EMPTY_FOLD: LedgerFold = Object.freeze({ lostAckedFixes: 0, verified: true, last: undefined, unknownSinceLast: false, pendingReads: [] as number[] });

/** Adds `outcomes` (any order; every seq above those already folded) to `fold`. */
export function foldOutcomes(fold: LedgerFold, outcomes: readonly FixOutcome[]): LedgerFold {
  let { lostAckedFixes, verified, last, unknownSinceLast } = fold;
  let pendingReads = [...fold.pendingReads];
  for (const o of [...outcomes].sort((a, b) => a.seq - b.seq)) {
    if (o.kind === 'unknown') {
      unknownSinceLast = true;
      // A refused fix's read may have come after this one was applied: it can no longer be checked.
      if (pendingReads.length > 0) verified = false;
      pendingReads = [];
      continue;
    }
    if (!o.accepted) {
      // A read of the state when it was processed: after `last`, or after a later fix that overtook it.
      if (last === undefined) continue;
      if (unknownSinceLast) verified = false;
      else if (o.score !== last.score) pendingReads.push(o.score);
      continue;
    }
    if (last !== undefined) {
      if (unknownSinceLast) verified = false;
      else if (o.score !== last.score + o.points) lostAckedFixes++;
    }
    pendingReads = pendingReads.filter((score) => score !== o.score);
    last = { seq: o.seq, score: o.score };
    unknownSinceLast = false;
  }
  return { lostAckedFixes, verified, last, unknownSinceLast, pendingReads };
}

/**
 * The check once nothing is in flight: `committedScore` is the score the server holds (undefined when it could not
 * be read), and must be the last accepted ack's unless a fix after it has an unknown outcome. The first accepted ack
 * is never checked: the score before it is unknown (a player id may carry points from an earlier run).
 */
export function finishCheck(fold: LedgerFold, committedScore: number | undefined): PlayerCheck {
  let { lostAckedFixes, verified } = fold;
  // A refused ack whose score no later accepted ack explains saw a state without an acked fix's effect.
  lostAckedFixes += fold.pendingReads.length;
  if (fold.last === undefined) return { lostAckedFixes, verified };
  if (fold.unknownSinceLast || committedScore === undefined) verified = false;
  else if (committedScore !== fold.last.score) lostAckedFixes++;
  return { lostAckedFixes, verified };
}

/** Checks one player's fixes (any order) against its committed score: `foldOutcomes` then `finishCheck`. */
export function checkPlayer(outcomes: readonly FixOutcome[], committedScore: number | undefined): PlayerCheck {
  return finishCheck(foldOutcomes(EMPTY_FOLD, outcomes), committedScore);
}

/** How many outcomes a PlayerLedger keeps before folding the settled ones. @default 64 */
const FOLD_EVERY_OUTCOMES = 64;

/** One player's ledger in a run: records outcomes and folds those that can no longer change, so memory stays flat. */
export class PlayerLedger {
  private fold: LedgerFold = EMPTY_FOLD;
  private recent: FixOutcome[] = [];

  /** Records an outcome; `inFlight` are the seqs sent and not answered yet (every seq below them is settled). */
  record(outcome: FixOutcome, inFlight: ReadonlySet<number>): void {
    this.recent.push(outcome);
    if (this.recent.length < FOLD_EVERY_OUTCOMES) return;
    const settledBelow = Math.min(...inFlight);
    this.fold = foldOutcomes(this.fold, this.recent.filter((o) => o.seq < settledBelow));
    this.recent = this.recent.filter((o) => o.seq >= settledBelow);
  }

  /** The check at the end: fixes still in `inFlight` count as unknown. */
  check(committedScore: number | undefined, inFlight: ReadonlySet<number>): PlayerCheck {
    const unanswered = [...inFlight].map((seq): FixOutcome => ({ seq, kind: 'unknown' }));
    return finishCheck(foldOutcomes(this.fold, [...this.recent, ...unanswered]), committedScore);
  }
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
