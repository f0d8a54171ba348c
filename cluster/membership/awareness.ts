/**
 * Lifeguard local health (memberlist awareness.go): a score in [0, max); our probe interval and timeouts are
 * multiplied by score + 1. Failed probes without the expected nacks, refuting a suspicion about ourselves and
 * event-loop stalls raise it; successful probes lower it. A slow node thus waits longer instead of accusing.
 */
export class Awareness {
  private score = 0;

  constructor(private readonly max: number) {}

  applyDelta(delta: number): void {
    this.score = Math.min(this.max - 1, Math.max(0, this.score + delta));
  }

  get healthScore(): number {
    return this.score;
  }

  scaleTimeout(ms: number): number {
    return ms * (this.score + 1);
  }
}
