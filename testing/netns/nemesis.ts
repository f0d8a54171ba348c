/**
 * Faults on the real network of a netns cluster (testing/netns/cluster.ts), made by the kernel: nft rules inside the
 * nodes' namespaces drop packets (partitions, one-way partitions, random loss), signals stop, continue and kill the
 * node processes. Traffic between the nodes is cut; clients and NATS keep reaching every node, as phones on the
 * internet still reach a data centre whose internal network split.
 *
 * The nemesis holds the whole fault state (which links are cut, which node loses what) and rewrites every node's
 * table from it in one nft transaction per node, so faults combine and `heal()` removes them all.
 */
import type { NetnsCluster } from './cluster.js';

/** The nft table the nemesis owns in every node namespace. */
const TABLE = 'quarry_nemesis';

export class Nemesis {
  /** `from>to`: packets from node `from` to node `to` are dropped (at `to`, on the way in). */
  private readonly cut = new Set<string>();
  /** Node -> percent of its packets dropped, in and out. */
  private readonly lossPercent = new Map<string, number>();
  private readonly paused = new Set<string>();
  private flapping: { stop: () => void; done: Promise<void> } | undefined;

  constructor(private readonly c: NetnsCluster) {}

  /** Nodes in different groups cannot reach each other; nodes in no group are not touched. */
  partition(groups: ReadonlyArray<readonly string[]>): void {
    this.cutBetween(groups);
    this.apply();
  }

  /** Packets from `from` to `to` are dropped; `to` → `from` flows (TCP in either direction then fails its handshake). */
  oneWay(from: string, to: string): void {
    this.known(from, to);
    this.cut.add(`${from}>${to}`);
    this.apply();
  }

  /** `percent` % of `node`'s packets, in and out, are dropped at random (nft `numgen random mod 100`). */
  loss(node: string, percent: number): void {
    this.known(node);
    if (!(Number.isInteger(percent) && percent >= 1 && percent <= 99)) throw new RangeError(`loss percent must be an integer from 1 to 99 (use partition for all), got ${percent}`);
    this.lossPercent.set(node, percent);
    this.apply();
  }

  /**
   * The partition `groups` on for `periodMs`, off for `periodMs`, ... until `durationMs` have passed; the promise
   * resolves healed. `heal()` ends it early.
   */
  flap(groups: ReadonlyArray<readonly string[]>, periodMs: number, durationMs: number): Promise<void> {
    if (!(periodMs > 0 && durationMs >= periodMs)) throw new RangeError(`flap needs periodMs > 0 and durationMs >= periodMs, got ${periodMs} and ${durationMs}`);
    this.flapping?.stop();
    let on = false;
    let timer: NodeJS.Timeout | undefined;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const endAt = Date.now() + durationMs;
    const toggle = () => {
      on = !on;
      this.cut.clear();
      if (on) this.cutBetween(groups);
      this.apply();
      if (Date.now() + periodMs <= endAt) timer = setTimeout(toggle, periodMs);
      else timer = setTimeout(stop, Math.max(0, endAt - Date.now()));
    };
    const stop = () => {
      clearTimeout(timer);
      this.cut.clear();
      this.apply();
      this.flapping = undefined;
      finish();
    };
    this.flapping = { stop, done };
    toggle();
    return done;
  }

  /** SIGSTOP for `ms`, then SIGCONT: a GC pause long enough to be declared dead, and then it acts again. */
  async pause(node: string, ms: number): Promise<void> {
    const p = this.c.node(node);
    this.paused.add(node);
    p.child.kill('SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, ms));
    p.child.kill('SIGCONT');
    this.paused.delete(node);
  }

  /** SIGKILL: no goodbye, no final snapshot. */
  async kill9(node: string): Promise<void> {
    await this.c.cluster.kill(this.c.node(node));
  }

  /** Starts a killed node again on its data dir and address; resolves once membership has converged. */
  async restart(node: string): Promise<void> {
    await this.c.restart(node);
  }

  /** Removes every rule (and ends a flap), continues every paused node. */
  heal(): void {
    this.flapping?.stop();
    this.cut.clear();
    this.lossPercent.clear();
    for (const node of this.paused) this.c.node(node).child.kill('SIGCONT');
    this.paused.clear();
    this.apply();
  }

  /** The nft ruleset of `node` for the current fault state (exported for the table test). */
  ruleset(node: string): string {
    return nodeRuleset(
      [...this.cut].flatMap((pair) => {
        const [from, to] = pair.split('>');
        return to === node ? [this.c.hosts.get(from!)!.address] : [];
      }),
      this.lossPercent.get(node),
    );
  }

  private cutBetween(groups: ReadonlyArray<readonly string[]>): void {
    this.known(...groups.flat());
    for (const [i, g] of groups.entries()) for (const [j, h] of groups.entries()) if (i !== j) for (const a of g) for (const b of h) this.cut.add(`${a}>${b}`);
  }

  private apply(): void {
    for (const id of this.c.ids) this.c.network.nft(this.c.hosts.get(id)!, this.ruleset(id));
  }

  private known(...nodes: string[]): void {
    for (const n of nodes) if (!this.c.hosts.has(n)) throw new RangeError(`no node ${n} (nodes: ${this.c.ids.join(', ')})`);
  }
}

/**
 * One node's table: packets from `droppedFrom` addresses dropped on the way in, `lossPercent` % of everything on its
 * bridge interface dropped in each direction. Replaces the previous table in the same transaction.
 */
export function nodeRuleset(droppedFrom: readonly string[], lossPercent: number | undefined): string {
  const input = [`type filter hook input priority 0; policy accept;`];
  const output = [`type filter hook output priority 0; policy accept;`];
  if (droppedFrom.length > 0) input.push(`iifname "eth0" ip saddr { ${[...droppedFrom].sort().join(', ')} } drop`);
  if (lossPercent !== undefined) {
    input.push(`iifname "eth0" numgen random mod 100 < ${lossPercent} drop`);
    output.push(`oifname "eth0" numgen random mod 100 < ${lossPercent} drop`);
  }
  return [
    `add table inet ${TABLE}`,
    `delete table inet ${TABLE}`,
    `table inet ${TABLE} {`,
    `  chain input {`,
    ...input.map((r) => `    ${r}`),
    `  }`,
    `  chain output {`,
    ...output.map((r) => `    ${r}`),
    `  }`,
    `}`,
    '',
  ].join('\n');
}
