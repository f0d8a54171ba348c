/** Time source of one membership instance. Real nodes use `realClock()`; simulations a scheduler's clock. */
export interface Clock {
  /** Milliseconds since the Unix epoch (simulated clocks start wherever they like). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /**
   * Runs `fn` after the I/O already waiting has been handled (Node's `setImmediate`). A timer that fired late
   * because our event loop stalled defers its verdict this way, so acks queued during the stall count.
   */
  defer(fn: () => void): void;
}

export type TimerHandle = { readonly __timer: unique symbol } | object;

export function realClock(): Clock {
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    defer: (fn) => void setImmediate(fn),
  };
}
