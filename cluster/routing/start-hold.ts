import type { Clock } from '../../actors/runtime/port.js';

/**
 * How long after a node is created it holds a message for an actor until it handles messages, rather than refusing
 * it, in ms. A node started (or restarted after a crash) is routed to by its peers, and called by phones, as soon as
 * gossip says it is alive; it handles messages a few hundred ms later, once its view of the members is agreed. Without
 * the hold every message in that gap fails UNAVAILABLE (a kill and restart under the headline load: tens of failed
 * fixes at the restart, which stretched the error window by the 10 s the node was down). @default 3000
 */
export const START_HOLD_MS = 3_000;
/** Messages held at once; past it they are refused at once, as after the hold. @default 10000 */
export const START_HOLD_MAX = 10_000;

/**
 * Messages that arrive while a node is starting wait here until it handles messages (`handling`), their deadline, or
 * the end of the start-up hold, whichever comes first. A freshly started node may stop handling for a moment soon
 * after it first does (its peers had declared the crashed process dead and tell the new one to rejoin, which costs a
 * `$view` round though it holds nothing); within the hold such gaps hold messages too. After the hold a node that
 * cannot handle refuses at once, so its callers go elsewhere.
 */
export class StartHold {
  private readonly waiting = new Set<(handling: boolean) => void>();
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly untilMs: number,
    private readonly max = START_HOLD_MAX,
  ) {}

  /**
   * Resolves true once the node handles messages, false at `deadlineMs` (0: none) or the end of the hold; undefined
   * when the hold is over (refuse at once).
   */
  hold(deadlineMs: number): Promise<boolean> | undefined {
    const now = this.clock.now();
    if (this.stopped || now >= this.untilMs || this.waiting.size >= this.max) return undefined;
    const untilMs = deadlineMs > 0 ? Math.min(deadlineMs, this.untilMs) : this.untilMs;
    return new Promise<boolean>((resolve) => {
      const settle = (handling: boolean) => {
        this.clock.clearTimeout(timer);
        this.waiting.delete(settle);
        resolve(handling);
      };
      const timer = this.clock.setTimeout(() => settle(false), Math.max(0, untilMs - now));
      this.waiting.add(settle);
    });
  }

  /** The node handles messages: every held message goes on. */
  handling(): void {
    for (const settle of [...this.waiting]) settle(true);
  }

  /** The node stops or leaves: every held message is refused, and none is held again. */
  stop(): void {
    this.stopped = true;
    for (const settle of [...this.waiting]) settle(false);
  }

  get held(): number {
    return this.waiting.size;
  }
}
