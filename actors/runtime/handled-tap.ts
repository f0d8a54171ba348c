import type { Activation } from './activation.js';
import type { Clock, HandledObserver, Logger } from './types.js';

/** Marks "no copy taken" (undefined is a legitimate copy of an undefined state). */
export const NOT_OBSERVED: unique symbol = Symbol('not observed');

/**
 * The host's one observer of handled messages (the inspector): a copy of the state before the message, when the
 * observer wants this actor, and a record after it. Costs one null check per message while nobody observes.
 */
export class HandledTap {
  private observer: HandledObserver | null = null;

  constructor(private readonly clock: Clock, private readonly logger: Logger) {}

  /** Returns its uninstaller. Throws when one is installed already, so two inspectors cannot steal each other's records. */
  install(observer: HandledObserver): () => void {
    if (this.observer !== null) throw new Error('a HandledObserver is already installed on this host');
    this.observer = observer;
    return () => {
      if (this.observer === observer) this.observer = null;
    };
  }

  /** The state before a message, or NOT_OBSERVED. */
  before(actor: Activation): unknown {
    const o = this.observer;
    if (o === null || !o.wants(actor.kind, actor.key)) return NOT_OBSERVED;
    try {
      return structuredClone(actor.state);
    } catch {
      // State holding functions or class instances cannot be cloned; the record then shows no diff.
      return undefined;
    }
  }

  handled(actor: Activation, msg: unknown, before: unknown, failed: boolean): void {
    if (before === NOT_OBSERVED) return;
    try {
      this.observer?.handled({ kind: actor.kind, key: actor.key, msg, before, after: actor.state, atMs: this.clock.now(), failed });
    } catch (err) {
      this.logger.warn({ actor: actor.id, err }, 'handled observer failed');
    }
  }
}
