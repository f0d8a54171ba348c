/** How often one sender's refused packets are logged at most, in ms. @default 60000 */
export const DEFAULT_REFUSAL_LOG_INTERVAL_MS = 60_000;
/** Senders tracked per interval; past it the rest are counted under one entry, so a flood cannot grow memory. */
export const MAX_REFUSAL_SENDERS = 1_024;

export interface RefusalReport {
  /** `host:port` the packets came from, or `*` for senders past MAX_REFUSAL_SENDERS. */
  readonly from: string;
  /** Packets refused from it since its last report (this one included). */
  readonly refused: number;
}

/**
 * Rate limit of the "packet refused" log: the first refused packet of a sender is reported at once, later ones at most
 * once per `intervalMs` with how many were refused meanwhile. A node started with the wrong `cluster.key` shows up
 * in the seed's log within one packet, and a flood of forged packets costs one line a minute.
 */
export class RefusalLog {
  private readonly senders = new Map<string, { lastReportMs: number; refused: number }>();

  constructor(
    private readonly report: (r: RefusalReport) => void,
    private readonly intervalMs = DEFAULT_REFUSAL_LOG_INTERVAL_MS,
  ) {}

  refused(from: string, nowMs: number): void {
    const key = this.senders.has(from) || this.senders.size < MAX_REFUSAL_SENDERS ? from : '*';
    let s = this.senders.get(key);
    if (s === undefined) this.senders.set(key, (s = { lastReportMs: -Infinity, refused: 0 }));
    s.refused++;
    if (nowMs - s.lastReportMs < this.intervalMs) return;
    this.report({ from: key, refused: s.refused });
    s.lastReportMs = nowMs;
    s.refused = 0;
    this.prune(nowMs);
  }

  /** Forgets senders silent for a whole interval (their next packet is reported at once again). */
  private prune(nowMs: number): void {
    for (const [from, s] of this.senders) if (s.refused === 0 && nowMs - s.lastReportMs >= this.intervalMs) this.senders.delete(from);
  }
}
