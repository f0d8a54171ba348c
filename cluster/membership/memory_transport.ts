import type { SimScheduler } from './sim_scheduler.js';
import type { Transport } from './transport.js';

export interface MemoryNetworkOptions {
  /** One-way latency of every packet, in ms. @default 1 */
  delayMs?: number;
  /** Extra uniform random latency, in ms. @default 1 */
  jitterMs?: number;
  /** Fraction of packets lost at random, 0..1. @default 0 */
  dropRate?: number;
}

/**
 * A simulated network of `MemoryTransport`s driven by a `SimScheduler`: latency, random loss, partitions
 * and one-way loss, all decided by the scheduler's seeded PRNG. Counts bytes sent per address.
 */
export class MemoryNetwork {
  private readonly transports = new Map<string, MemoryTransport>();
  private readonly blocked = new Set<string>();
  private groups: Array<Set<string>> | undefined;
  readonly bytesSent = new Map<string, number>();
  /** Called for every packet sent, before loss is applied (tests use it to stall a node right after it pings). */
  onSend: ((from: string, to: string, packet: Uint8Array) => void) | undefined;
  delayMs: number;
  jitterMs: number;
  dropRate: number;

  constructor(readonly scheduler: SimScheduler, options: MemoryNetworkOptions = {}) {
    this.delayMs = options.delayMs ?? 1;
    this.jitterMs = options.jitterMs ?? 1;
    this.dropRate = options.dropRate ?? 0;
  }

  attach(address: string): MemoryTransport {
    const t = new MemoryTransport(this, address);
    this.transports.set(address, t);
    return t;
  }

  /** Packets from `from` to `to` are lost; the reverse direction still works. */
  blockOneWay(from: string, to: string): void {
    this.blocked.add(`${from}>${to}`);
  }

  unblockOneWay(from: string, to: string): void {
    this.blocked.delete(`${from}>${to}`);
  }

  /** Only addresses in the same group reach each other until `heal()`. */
  partition(...groups: string[][]): void {
    this.groups = groups.map((g) => new Set(g));
  }

  heal(): void {
    this.groups = undefined;
  }

  /** The node stops: its timers never fire and its packets vanish, with no goodbye. */
  crash(address: string): void {
    this.scheduler.crash(address);
    this.transports.get(address)?.markClosed();
  }

  deliver(from: string, to: string, packet: Uint8Array): void {
    this.bytesSent.set(from, (this.bytesSent.get(from) ?? 0) + packet.length);
    this.onSend?.(from, to, packet);
    if (this.blocked.has(`${from}>${to}`) || !this.sameGroup(from, to)) return;
    if (this.dropRate > 0 && this.scheduler.random() < this.dropRate) return;
    const target = this.transports.get(to);
    if (!target) return;
    const copy = Buffer.from(packet);
    const latency = this.delayMs + this.scheduler.random() * this.jitterMs;
    this.scheduler.at(this.scheduler.now + latency, 1, to, () => target.receive(copy, from));
  }

  private sameGroup(a: string, b: string): boolean {
    if (!this.groups) return true;
    return this.groups.some((g) => g.has(a) && g.has(b));
  }
}

export class MemoryTransport implements Transport {
  private handler: ((packet: Buffer, from: string) => void) | undefined;
  private closed = false;

  constructor(private readonly network: MemoryNetwork, readonly address: string) {}

  send(to: string, packet: Uint8Array): void {
    if (!this.closed) this.network.deliver(this.address, to, packet);
  }

  onPacket(handler: (packet: Buffer, from: string) => void): void {
    this.handler = handler;
  }

  receive(packet: Buffer, from: string): void {
    if (!this.closed) this.handler?.(packet, from);
  }

  markClosed(): void {
    this.closed = true;
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
