/** Something the wheel holds; `wheelSlot` is the slot it sits in, or -1. */
export interface WheelItem {
  wheelSlot: number;
}

/**
 * One timer wheel for all actors of a host: an actor sits in the slot of its passivation due time and is looked
 * at only when that slot comes up, so a message costs nothing here (it just updates the actor's last activity;
 * the host re-files an actor that turns out busy or recently active). Slots are `ceil(dueMs / tickMs)`.
 */
export class PassivationWheel<T extends WheelItem> {
  private readonly slots = new Map<number, T[]>();
  private lastSlot: number;
  private count = 0;

  constructor(private readonly tickMs: number, nowMs: number) {
    this.lastSlot = Math.floor(nowMs / tickMs);
  }

  /** Slot an item due at `dueMs` goes to: never one already collected. */
  slotFor(dueMs: number): number {
    return Math.max(Math.ceil(dueMs / this.tickMs), this.lastSlot + 1);
  }

  add(item: T, dueMs: number): void {
    const slot = this.slotFor(dueMs);
    item.wheelSlot = slot;
    const bucket = this.slots.get(slot);
    if (bucket === undefined) this.slots.set(slot, [item]);
    else bucket.push(item);
    this.count++;
  }

  /** Removes and returns every item in slots up to `nowMs`'s; the caller decides which are really idle. */
  collect(nowMs: number): T[] {
    const upTo = Math.floor(nowMs / this.tickMs);
    const out: T[] = [];
    if (upTo <= this.lastSlot) return out;
    // After a long clock jump walking the map beats walking every slot number in between.
    if (upTo - this.lastSlot > this.slots.size) {
      for (const [slot, bucket] of this.slots) {
        if (slot <= upTo) {
          this.take(bucket, out);
          this.slots.delete(slot);
        }
      }
    } else {
      for (let slot = this.lastSlot + 1; slot <= upTo; slot++) {
        const bucket = this.slots.get(slot);
        if (bucket !== undefined) {
          this.take(bucket, out);
          this.slots.delete(slot);
        }
      }
    }
    this.lastSlot = upTo;
    return out;
  }

  get size(): number {
    return this.count;
  }

  private take(bucket: T[], out: T[]): void {
    for (const item of bucket) {
      item.wheelSlot = -1;
      out.push(item);
    }
    this.count -= bucket.length;
  }
}
