/** A snapshot whose bytes fail the checksum or cannot be decoded. It is never loaded as state. */
export class CorruptSnapshotError extends Error {
  override readonly name = 'CorruptSnapshotError';
  constructor(readonly actorId: string, reason: string, options?: { cause?: unknown }) {
    super(`snapshot of actor ${actorId} is corrupt: ${reason}`, options);
  }
}

/** A store setting out of range; names the key and the rule. */
export class InvalidStoreOptionError extends Error {
  override readonly name = 'InvalidStoreOptionError';
  constructor(readonly key: string, rule: string) {
    super(`${key}: ${rule}`);
  }
}

/** An LMDB transaction that failed; every write of the batch is lost and nothing was acknowledged. */
export class StoreCommitError extends Error {
  override readonly name = 'StoreCommitError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class StoreClosedError extends Error {
  override readonly name = 'StoreClosedError';
  constructor() {
    super('the snapshot store is closed');
  }
}
