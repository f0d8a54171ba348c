/** Ids one durable write reserves ahead: a restart skips at most this many. */
export const ID_BLOCK_IDS = 1_000;

/**
 * Ids that increase across restarts (outbox entries, audit entries) without a write to the meta database in every
 * commit: a commit that hands out an id past the last reservation known durable also stores a new reservation, a
 * block ahead, and a restart continues after the stored one. Ids may skip; they never repeat, since a commit's ids are
 * at most the reservation durable before it or the one it writes itself. Until a reservation is known committed, each
 * commit that goes past the previous durable one writes it again, so a failed commit leaves no id unreserved.
 */
export class IdBlock {
  private last: number;
  private reserved: number;
  private durable: number;

  /** `stored`: the reservation (or, in a store written before blocks, the last id) the meta database holds. */
  constructor(stored: number) {
    this.last = this.reserved = this.durable = stored;
  }

  next(): number {
    return ++this.last;
  }

  /** The reservation this commit must store (its ids so far included), or undefined when the durable one covers them. */
  reservationToStore(): number | undefined {
    if (this.last <= this.durable) return undefined;
    if (this.last > this.reserved) this.reserved = this.last + ID_BLOCK_IDS;
    return this.reserved;
  }

  /** A commit that stored `reservation` is durable. */
  committed(reservation: number): void {
    this.durable = Math.max(this.durable, reservation);
  }
}
