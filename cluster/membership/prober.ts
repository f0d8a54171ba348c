import type { Awareness } from './awareness.js';
import type { Clock, TimerHandle } from './clock.js';
import type { MembershipConfig } from './config.js';
import type { Message } from './messages.js';
import type { MembershipMetrics } from './metrics.js';

/** What the failure detector needs from the membership that owns it. */
export interface ProberHost {
  readonly id: string;
  readonly config: MembershipConfig;
  readonly awareness: Awareness;
  readonly random: () => number;
  probeCandidates(): Array<{ id: string; addr: string; incarnation: number }>;
  memberById(id: string): { id: string; addr: string; incarnation: number; state: string } | undefined;
  randomPeers(count: number, except?: string): Array<{ id: string; addr: string }>;
  send(to: string, msgs: Message[]): void;
  after(ms: number, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle | undefined): void;
  suspectAfterProbe(id: string, incarnation: number): void;
}

interface Pending {
  onAck(): void;
  onNack(): void;
}

/**
 * The SWIM failure detector with Lifeguard (memberlist state.go probe/probeNode): each tick probes the next
 * member of a shuffled round-robin list; direct ping, then `indirectChecks` ping-reqs with nacks, then
 * suspicion. Local health (awareness) stretches the interval and timeouts. A probe during which our own timers
 * fired later than `lagToleranceMs` is inconclusive: our event loop stalled, so silence proves nothing.
 */
export class Prober {
  private order: string[] = [];
  private index = 0;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private lagExpectedMs = 0;

  constructor(private readonly host: ProberHost, private readonly clock: Clock, private readonly metrics: MembershipMetrics) {}

  start(): void {
    this.scheduleTick();
    this.lagExpectedMs = this.clock.now() + this.host.config.lagSampleIntervalMs;
    this.host.after(this.host.config.lagSampleIntervalMs, () => this.sampleLag());
  }

  stop(): void {
    this.pending.clear();
  }

  /** New members go to a random position of the round so a join doesn't delay everyone's probe of it. */
  added(id: string): void {
    const at = this.index + Math.floor(this.host.random() * (this.order.length - this.index + 1));
    this.order.splice(at, 0, id);
  }

  onAck(seq: number): void {
    this.pending.get(seq)?.onAck();
  }

  onNack(seq: number): void {
    this.pending.get(seq)?.onNack();
  }

  /** We are the intermediary of someone's indirect probe: ping the target, relay its ack, or nack in time. */
  relay(seq: number, target: string, targetAddr: string, requester: string): void {
    const mySeq = this.seq++;
    const { probeTimeoutMs } = this.host.config;
    let done = false;
    const nackTimer = this.host.after(Math.floor(probeTimeoutMs * 0.8), () => {
      if (!done) this.host.send(requester, [{ t: 'nack', seq }]);
    });
    this.pending.set(mySeq, {
      onAck: () => {
        if (done) return;
        done = true;
        this.host.cancel(nackTimer);
        this.host.send(requester, [{ t: 'ack', seq }]);
      },
      onNack: () => undefined,
    });
    this.host.after(this.host.config.probeIntervalMs, () => this.pending.delete(mySeq));
    this.host.send(targetAddr, [{ t: 'ping', seq: mySeq, target }]);
  }

  private scheduleTick(): void {
    this.host.after(this.host.awareness.scaleTimeout(this.host.config.probeIntervalMs), () => {
      this.scheduleTick();
      const target = this.nextTarget();
      if (target) this.probe(target);
    });
  }

  private nextTarget(): { id: string; addr: string; incarnation: number } | undefined {
    for (let attempts = 0; attempts < 2; attempts++) {
      while (this.index < this.order.length) {
        const m = this.host.memberById(this.order[this.index++]!);
        if (m && m.id !== this.host.id && (m.state === 'alive' || m.state === 'suspect')) return m;
      }
      const ids = this.host.probeCandidates().map((m) => m.id);
      for (let i = ids.length - 1; i > 0; i--) {
        const j = Math.floor(this.host.random() * (i + 1));
        [ids[i], ids[j]] = [ids[j]!, ids[i]!];
      }
      this.order = ids;
      this.index = 0;
    }
    return undefined;
  }

  private probe(target: { id: string; addr: string; incarnation: number }): void {
    const { config, awareness } = this.host;
    const intervalMs = awareness.scaleTimeout(config.probeIntervalMs);
    const timeoutMs = awareness.scaleTimeout(config.probeTimeoutMs);
    const seq = this.seq++;
    const startMs = this.clock.now();
    let acked = false;
    let finished = false;
    let nacks = 0;
    let expectedNacks = 0;
    let lateMs = 0;
    const timers: TimerHandle[] = [];
    const finish = (): void => {
      if (finished) return;
      finished = true;
      this.pending.delete(seq);
      for (const t of timers) this.host.cancel(t);
      if (acked) {
        if (expectedNacks > 0) this.metrics.probesAckedAfterIndirect++;
        return awareness.applyDelta(-1);
      }
      if (lateMs > config.lagToleranceMs) {
        this.metrics.probesInconclusive++;
        return awareness.applyDelta(1);
      }
      this.metrics.probesFailed++;
      // Lifeguard: peers that should have nacked but didn't suggest the problem is us, not the target.
      awareness.applyDelta(expectedNacks > 0 ? Math.max(0, expectedNacks - nacks) : 1);
      this.host.suspectAfterProbe(target.id, target.incarnation);
    };
    // A timer that fires late means our loop stalled; defer the verdict until the queued packets are handled.
    const at = (dueMs: number, fn: () => void): void => {
      timers.push(
        this.host.after(dueMs - startMs, () => {
          lateMs = Math.max(lateMs, this.clock.now() - dueMs);
          this.clock.defer(() => {
            if (!finished) fn();
          });
        }),
      );
    };
    this.pending.set(seq, {
      onAck: () => {
        acked = true;
        finish();
      },
      onNack: () => void nacks++,
    });
    this.metrics.probes++;
    this.host.send(target.addr, [{ t: 'ping', seq, target: target.id }]);
    at(startMs + timeoutMs, () => {
      const peers = this.host.randomPeers(config.indirectChecks, target.id);
      expectedNacks = peers.length;
      for (const p of peers) this.host.send(p.addr, [{ t: 'pingReq', seq, target: target.id, addr: target.addr }]);
    });
    at(startMs + intervalMs, finish);
  }

  private sampleLag(): void {
    const lagMs = this.clock.now() - this.lagExpectedMs;
    if (lagMs > this.metrics.maxLagMs) this.metrics.maxLagMs = lagMs;
    if (lagMs > this.host.config.lagToleranceMs) {
      this.metrics.lagStalls++;
      this.host.awareness.applyDelta(1);
    }
    this.lagExpectedMs = this.clock.now() + this.host.config.lagSampleIntervalMs;
    this.host.after(this.host.config.lagSampleIntervalMs, () => this.sampleLag());
  }
}
