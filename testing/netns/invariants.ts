/**
 * What must hold after a fault, whatever the fault: the pure judges of a nemesis run (testing/netns/workload.ts
 * gathers what they judge). Each returns counts; `violations` turns a run's counts into sentences, empty when
 * everything held.
 */

/**
 * The statuses a player may see from a healthy-but-faulty cluster (README, "Routing guarantees"): a call refused or
 * failed below the game is RESOURCE_EXHAUSTED or UNAVAILABLE, a late answer DEADLINE_EXCEEDED; all are retriable.
 * Anything else (INTERNAL above all) is a bug.
 */
export const RETRIABLE_STATUSES: ReadonlySet<string> = new Set(['UNAVAILABLE', 'RESOURCE_EXHAUSTED', 'DEADLINE_EXCEEDED']);

/** One actor active on one node, as the Admin service's local Search reports it. */
export interface ActiveActor {
  kind: string;
  key: string;
  messagesHandled: number;
}

/**
 * Single activation, watched from outside: every node is asked for its active actors every poll. Two activations
 * of one key are counted when two nodes both held it at one poll and both handled messages of it before the next:
 * two live activations serving one key. (A handoff shows the key on one node, then on the other: the old owner
 * drains before the new one activates.) A node that does not answer a poll (paused, cut off) is left out of it and
 * of the next comparison.
 */
export class ActivationWatch {
  /** Node -> `kind/key` -> messages handled, at the previous poll (only nodes that answered it). */
  private previous = new Map<string, Map<string, number>>();
  /** Keys seen doubled, with the nodes, in the order found. */
  readonly duplicates = new Map<string, string[]>();

  /**
   * One poll: each node's active actors, or undefined when the node did not answer. Only two polls in a row of a node
   * are compared: a node that was stopped between them (a pause) answers first with what it did before it stopped.
   */
  poll(byNode: ReadonlyMap<string, readonly ActiveActor[] | undefined>): void {
    const current = new Map<string, Map<string, number>>();
    for (const [node, actors] of byNode) if (actors !== undefined) current.set(node, new Map(actors.map((a) => [`${a.kind}/${a.key}`, a.messagesHandled])));
    // key -> nodes that held it at the previous poll and handled more of it since.
    const handling = new Map<string, string[]>();
    for (const [node, now] of current) {
      const before = this.previous.get(node);
      if (before === undefined) continue;
      for (const [key, handled] of now) {
        const was = before.get(key);
        if (was !== undefined && handled > was) handling.set(key, [...(handling.get(key) ?? []), node]);
      }
    }
    for (const [key, nodes] of handling) if (nodes.length > 1 && !this.duplicates.has(key)) this.duplicates.set(key, nodes.sort());
    this.previous = current;
  }
}

export interface TreasureState {
  id: string;
  capacity: number;
  claimedBy: readonly string[];
}

export interface TreasureCheck {
  /** Claims beyond a treasure's capacity, summed over treasures. */
  overCapacityClaims: number;
  /** A player listed twice on one treasure. */
  duplicateClaims: number;
  /** Claims an ack reported that the treasure's list does not hold. */
  lostAckedClaims: number;
}

/** The treasure lists read back at the end against the claims the acks reported (`[playerId, treasureId]`). */
export function checkTreasures(treasures: readonly TreasureState[], ackedClaims: ReadonlyArray<readonly [string, string]>): TreasureCheck {
  const byId = new Map(treasures.map((t) => [t.id, t]));
  let overCapacityClaims = 0;
  let duplicateClaims = 0;
  for (const t of treasures) {
    overCapacityClaims += Math.max(0, t.claimedBy.length - t.capacity);
    duplicateClaims += t.claimedBy.length - new Set(t.claimedBy).size;
  }
  let lostAckedClaims = 0;
  for (const [player, treasure] of ackedClaims) if (!byId.get(treasure)?.claimedBy.includes(player)) lostAckedClaims++;
  return { overCapacityClaims, duplicateClaims, lostAckedClaims };
}

/** What a nemesis run measured, as far as the invariants go. */
export interface InvariantFigures {
  lostAckedFixes: number;
  lostAckedClaims: number;
  overCapacityClaims: number;
  duplicateClaims: number;
  duplicateActivations: number;
  /** Treasure lists that could not be read back (the claims check is then incomplete). */
  unreadTreasureLists: number;
  /** `fix <STATUS>` / `stream <STATUS>` -> count, every failure a client saw. */
  failuresByStatus: Record<string, number>;
}

/** Sentences naming each invariant that did not hold; empty when all held. */
export function violations(f: InvariantFigures): string[] {
  const out: string[] = [];
  if (f.lostAckedFixes > 0) out.push(`${f.lostAckedFixes} acknowledged fixes lost`);
  if (f.lostAckedClaims > 0) out.push(`${f.lostAckedClaims} acknowledged treasure claims lost`);
  if (f.overCapacityClaims > 0) out.push(`${f.overCapacityClaims} treasure claims over capacity`);
  if (f.duplicateClaims > 0) out.push(`${f.duplicateClaims} players listed twice on one treasure`);
  if (f.duplicateActivations > 0) out.push(`${f.duplicateActivations} keys had two activations at once`);
  if (f.unreadTreasureLists > 0) out.push(`${f.unreadTreasureLists} treasure lists could not be read back`);
  for (const [what, n] of Object.entries(f.failuresByStatus)) {
    const status = what.split(' ')[1] ?? what;
    if (!RETRIABLE_STATUSES.has(status)) out.push(`${n} × ${what}: not a documented retriable status`);
  }
  return out;
}
