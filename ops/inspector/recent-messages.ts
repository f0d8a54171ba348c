import type { HandledObserver, HandledRecord } from '../../actors/runtime/index.js';
import { jsonDiff, type JsonChange } from './json-diff.js';
import { toJsonSafe } from './json-safe.js';

/** Handled messages kept per actor for the inspector. @default 20 */
export const DEFAULT_RECENT_PER_ACTOR = 20;
/** Actors whose recent messages are kept (least recently active are dropped first). @default 1000 */
export const DEFAULT_RECENT_MAX_ACTORS = 1000;

export interface RecentMessage {
  readonly atMs: number;
  readonly msg: unknown;
  readonly failed: boolean;
  readonly diff: JsonChange[];
}

export interface RecentMessagesOptions {
  perActor?: number;
  maxActors?: number;
  /** Which actors to record; all when absent. */
  wants?: (kind: string, key: string) => boolean;
}

/** Bounded ring of the last handled messages per actor, with the diff each made to the state. */
export class RecentMessages implements HandledObserver {
  readonly perActor: number;
  readonly maxActors: number;
  private readonly byActor = new Map<string, RecentMessage[]>();
  private readonly listeners = new Set<(kind: string, key: string, m: RecentMessage) => void>();
  private readonly filter: ((kind: string, key: string) => boolean) | undefined;

  constructor(options: RecentMessagesOptions = {}) {
    this.perActor = options.perActor ?? DEFAULT_RECENT_PER_ACTOR;
    this.maxActors = options.maxActors ?? DEFAULT_RECENT_MAX_ACTORS;
    if (!Number.isInteger(this.perActor) || this.perActor < 1) throw new RangeError(`inspector perActor must be a positive integer, got ${this.perActor}`);
    if (!Number.isInteger(this.maxActors) || this.maxActors < 1) throw new RangeError(`inspector maxActors must be a positive integer, got ${this.maxActors}`);
    this.filter = options.wants;
  }

  wants(kind: string, key: string): boolean {
    return this.filter === undefined || this.filter(kind, key);
  }

  handled(r: HandledRecord): void {
    const id = `${r.kind}/${r.key}`;
    let ring = this.byActor.get(id);
    if (ring === undefined) {
      if (this.byActor.size >= this.maxActors) this.byActor.delete(this.byActor.keys().next().value!);
      ring = [];
    } else {
      this.byActor.delete(id);
    }
    // Re-inserted so Map order is least-recently-active first.
    this.byActor.set(id, ring);
    const m: RecentMessage = { atMs: r.atMs, msg: toJsonSafe(r.msg), failed: r.failed, diff: jsonDiff(toJsonSafe(r.before), toJsonSafe(r.after)) };
    ring.push(m);
    if (ring.length > this.perActor) ring.shift();
    for (const l of this.listeners) l(r.kind, r.key, m);
  }

  /** Newest last. */
  recent(kind: string, key: string): RecentMessage[] {
    return [...(this.byActor.get(`${kind}/${key}`) ?? [])];
  }

  onRecord(listener: (kind: string, key: string, m: RecentMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
