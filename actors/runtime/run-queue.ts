/**
 * The host's queue of actors with messages to handle: a ring buffer that grows by doubling and never shrinks,
 * so a steady load allocates nothing (an array emptied with `length = 0` is reallocated on every refill).
 */
export class RunQueue<T> {
  private items: Array<T | undefined> = new Array(1024);
  private mask = 1023;
  private head = 0;
  private tail = 0;

  get size(): number {
    return this.tail - this.head;
  }

  push(item: T): void {
    if (this.tail - this.head === this.items.length) this.grow();
    this.items[this.tail & this.mask] = item;
    this.tail++;
  }

  /** The oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.head === this.tail) return undefined;
    const i = this.head & this.mask;
    const item = this.items[i];
    this.items[i] = undefined;
    this.head++;
    if (this.head === this.tail) this.head = this.tail = 0;
    return item;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.items.length * 2);
    const n = this.tail - this.head;
    for (let k = 0; k < n; k++) next[k] = this.items[(this.head + k) & this.mask];
    this.items = next;
    this.mask = next.length - 1;
    this.head = 0;
    this.tail = n;
  }
}
