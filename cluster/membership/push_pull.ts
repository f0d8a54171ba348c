import type { TimerHandle } from './clock.js';
import type { MembershipConfig } from './config.js';
import { byteLength, type MemberWire, type Message } from './messages.js';
import { PACKET_OVERHEAD_BYTES } from './packet_auth.js';

/** What full-state sync needs from the membership that owns it. */
export interface PushPullHost {
  readonly config: MembershipConfig;
  readonly address: string;
  readonly random: () => number;
  isRunning(): boolean;
  now(): number;
  snapshot(): MemberWire[];
  isKnown(id: string): boolean;
  deadAddresses(): string[];
  randomPeers(count: number): Array<{ addr: string }>;
  send(to: string, msgs: Message[], piggyback: boolean): void;
  after(ms: number, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle | undefined): void;
  merge(member: MemberWire, sender: string): void;
}

/** Splits a member table into datagram-sized lists; each entry merges on its own, so no reassembly. */
export function chunkMembers(members: MemberWire[], budgetBytes: number): MemberWire[][] {
  const chunks: MemberWire[][] = [[]];
  let size = 0;
  for (const m of members) {
    const bytes = byteLength(m) + 1;
    if (size + bytes > budgetBytes && chunks.at(-1)!.length > 0) {
      chunks.push([]);
      size = 0;
    }
    chunks.at(-1)!.push(m);
    size += bytes;
  }
  return chunks;
}

/**
 * Full state exchange (memberlist pushPull, carried in UDP datagrams instead of a TCP stream): on join with the
 * seeds, periodically with a random member, at once with a "stranger", and with a member we hold dead.
 */
export class PushPull {
  private seeds: string[] = [];
  private readonly replies = new Set<string>();
  private readonly strangerSyncAtMs = new Map<string, number>();
  private onReply: (() => void) | undefined;

  constructor(private readonly host: PushPullHost) {}

  /** Exchanges state with each seed; resolves with how many answered (0 after `joinTimeoutMs`). */
  async join(seeds: string[]): Promise<number> {
    const { host } = this;
    this.seeds = seeds.filter((s) => s !== host.address);
    if (this.seeds.length === 0) return 0;
    this.replies.clear();
    const deadline = host.now() + host.config.joinTimeoutMs;
    while (host.isRunning() && host.now() < deadline) {
      for (const seed of this.seeds) if (!this.replies.has(seed)) this.send(seed, false);
      await new Promise<void>((resolve) => {
        const timer = host.after(host.config.probeIntervalMs, resolve);
        this.onReply = () => {
          host.cancel(timer);
          resolve();
        };
      });
      this.onReply = undefined;
      const answered = this.seeds.filter((s) => this.replies.has(s)).length;
      if (answered > 0) return answered;
    }
    return 0;
  }

  /** Releases a pending `join()` when the membership stops. */
  stop(): void {
    this.onReply?.();
  }

  /**
   * One exchange with a random live member (or a seed while we know nobody), and one with a random member we
   * hold dead: after a partition heals that is how both sides learn the other is alive (Serf's reconnect;
   * memberlist alone never contacts dead members again).
   */
  periodic(): void {
    const { host } = this;
    const [peer] = host.randomPeers(1);
    if (peer) this.send(peer.addr, false);
    else if (this.seeds.length > 0) this.send(this.seeds[Math.floor(host.random() * this.seeds.length)]!, false);
    const dead = host.deadAddresses();
    if (dead.length > 0) this.send(dead[Math.floor(host.random() * dead.length)]!, false);
  }

  send(to: string, reply: boolean): void {
    const budget = this.host.config.maxPacketBytes - PACKET_OVERHEAD_BYTES - 200;
    for (const members of chunkMembers(this.host.snapshot(), budget)) this.host.send(to, [{ t: 'pushPull', reply, members }], false);
  }

  received(members: MemberWire[], reply: boolean, senderId: string, from: string): void {
    // Merge first: if the sender holds us suspect or dead, our reply already carries the refutation.
    for (const m of members) this.host.merge(m, senderId);
    if (!reply) return this.send(from, true);
    this.replies.add(from);
    this.onReply?.();
  }

  /**
   * An authenticated packet from a member we don't know is a dissemination gap (its "alive" ran out of
   * retransmits before reaching us): pull its state now instead of at the next periodic round.
   */
  stranger(id: string, from: string): void {
    if (this.host.isKnown(id)) return void this.strangerSyncAtMs.delete(id);
    const now = this.host.now();
    if ((this.strangerSyncAtMs.get(id) ?? -Infinity) > now - this.host.config.pushPullIntervalMs) return;
    this.strangerSyncAtMs.set(id, now);
    this.send(from, false);
  }
}
