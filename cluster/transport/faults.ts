/**
 * Fault injection for the real grpc transport, so routing tests can partition real node processes.
 * - `sever` (default): the peer is cut off as by a firewall that rejects: its link is closed (pending asks fail
 *   with `LinkClosedError`), its dials are refused and ours to it are not attempted.
 * - `blackhole`: the link stays up but carries nothing either way (asks time out at their deadlines), as in the
 *   first seconds of a real partition, before keepalive gives up on the stream.
 * Both last until `unblock`/`heal`.
 */
export type FaultMode = 'sever' | 'blackhole';

export class LinkFaults {
  private readonly blocked = new Map<string, FaultMode>();
  private readonly listeners = new Set<(severed: ReadonlySet<string>) => void>();

  block(nodeIds: Iterable<string>, mode: FaultMode = 'sever'): void {
    for (const id of nodeIds) this.blocked.set(id, mode);
    this.changed();
  }

  unblock(nodeIds: Iterable<string>): void {
    for (const id of nodeIds) this.blocked.delete(id);
    this.changed();
  }

  heal(): void {
    this.blocked.clear();
    this.changed();
  }

  /** Severed: no link may exist with this node. */
  isBlocked(nodeId: string): boolean {
    return this.blocked.get(nodeId) === 'sever';
  }

  /** Blackholed: the link may exist, but every batch to or from this node is discarded. */
  isBlackholed(nodeId: string): boolean {
    return this.blocked.get(nodeId) === 'blackhole';
  }

  get blockedIds(): readonly string[] {
    return [...this.blocked.keys()];
  }

  /** Called with the set of severed node ids after every change. */
  onChange(listener: (severed: ReadonlySet<string>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    const severed = new Set([...this.blocked].filter(([, mode]) => mode === 'sever').map(([id]) => id));
    for (const l of this.listeners) l(severed);
  }
}
