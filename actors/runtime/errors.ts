/** A send to an actor whose mailbox already holds `mailboxCapacity` messages; the message was not queued. */
export class MailboxFullError extends Error {
  override readonly name = 'MailboxFullError';
  constructor(readonly actorId: string, readonly capacity: number) {
    super(`mailbox of actor ${actorId} is full (${capacity} messages queued)`);
  }
}

export class AskTimeoutError extends Error {
  override readonly name = 'AskTimeoutError';
  constructor(readonly actorId: string, readonly timeoutMs: number) {
    super(`ask to actor ${actorId} got no reply within ${timeoutMs} ms`);
  }
}

/** The actor's handler threw or rejected; `cause` is what it threw. The actor and the host keep running. */
export class HandlerError extends Error {
  override readonly name = 'HandlerError';
  constructor(readonly actorId: string, options: { cause: unknown }) {
    super(`handler of actor ${actorId} failed: ${describe(options.cause)}`, options);
  }
}

/** A handler answering a `KindDef.readOnly` message from stored state tried to write (persist or audit). */
export class ReadOnlyMessageError extends Error {
  override readonly name = 'ReadOnlyMessageError';
  constructor(readonly actorId: string, what: string) {
    super(`actor ${actorId} ${what} while answering a read-only message`);
  }
}

/** Activation failed (corrupt snapshot, schema without migration, replay error); nothing was loaded. */
export class ActivationError extends Error {
  override readonly name = 'ActivationError';
  constructor(readonly actorId: string, reason: string, options?: { cause?: unknown }) {
    super(`actor ${actorId} cannot be activated: ${reason}`, options);
  }
}

export class UnknownKindError extends Error {
  override readonly name = 'UnknownKindError';
  constructor(readonly kind: string) {
    super(`no actor kind named ${JSON.stringify(kind)} is registered on this host`);
  }
}

/** Two different definitions registered under one kind name. */
export class KindConflictError extends Error {
  override readonly name = 'KindConflictError';
  constructor(readonly kind: string) {
    super(`another definition of actor kind ${JSON.stringify(kind)} is already registered`);
  }
}

export class HostClosedError extends Error {
  override readonly name = 'HostClosedError';
  constructor(readonly actorId?: string) {
    super(actorId === undefined ? 'the actor host is closed' : `the actor host closed before actor ${actorId} replied`);
  }
}

/** A host or kind setting out of range; names the key and the rule. */
export class InvalidRuntimeOptionError extends Error {
  override readonly name = 'InvalidRuntimeOptionError';
  constructor(readonly key: string, rule: string) {
    super(`${key}: ${rule}`);
  }
}

/** The commit holding this message's writes failed, so the reply cannot be acknowledged. */
export class PersistError extends Error {
  override readonly name = 'PersistError';
  constructor(readonly actorId: string, options: { cause: unknown }) {
    super(`writes of actor ${actorId} were not committed: ${describe(options.cause)}`, options);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
