import { byteLength, type Message } from './messages.js';

interface Item {
  memberId: string;
  msg: Message;
  bytes: number;
  transmits: number;
  order: number;
}

/**
 * memberlist queue.go (TransmitLimitedQueue): state messages waiting to be piggybacked. A newer message about a
 * member replaces the older one; the least-sent go first; each is sent at most `limit()` times.
 */
export class BroadcastQueue {
  private readonly items = new Map<string, Item>();
  private order = 0;

  constructor(private readonly limit: () => number) {}

  queue(memberId: string, msg: Message): void {
    this.items.set(memberId, { memberId, msg, bytes: byteLength(msg) + 1, transmits: 0, order: this.order++ });
  }

  get size(): number {
    return this.items.size;
  }

  /** Takes the messages that fit in `budgetBytes`, counting one transmit each. */
  take(budgetBytes: number): Message[] {
    if (this.items.size === 0 || budgetBytes <= 0) return [];
    const candidates = [...this.items.values()].sort((a, b) => a.transmits - b.transmits || b.order - a.order);
    const limit = this.limit();
    const out: Message[] = [];
    let left = budgetBytes;
    for (const item of candidates) {
      if (item.bytes > left) continue;
      left -= item.bytes;
      out.push(item.msg);
      item.transmits++;
      if (item.transmits >= limit) this.items.delete(item.memberId);
    }
    return out;
  }
}
