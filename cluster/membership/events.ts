import type { MemberState } from './messages.js';

/** A member changed state (as seen by this node). `incarnation` is the one that caused the change. */
export interface MemberEvent {
  type: MemberState;
  id: string;
  addr: string;
  incarnation: number;
  atMs: number;
}

export type MemberListener = (event: MemberEvent) => void;

/** Typed listeners; one throwing listener does not stop the others or the protocol. */
export class MemberEvents {
  private readonly listeners = new Set<MemberListener>();

  on(listener: MemberListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: MemberEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        queueMicrotask(() => {
          throw new Error(`member event listener failed on ${event.type} ${event.id}`, { cause: err });
        });
      }
    }
  }
}
