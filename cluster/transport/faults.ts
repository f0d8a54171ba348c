/**
 * Fault injection for the real grpc transport, so routing tests can partition real node processes.
 * A blocked node is cut off as a firewall would: its link is severed (pending asks fail with
 * `LinkClosedError`), its dials are refused and ours to it are not attempted, until `unblock`/`heal`.
 */
export class LinkFaults {
  private readonly blocked = new Set<string>();
  private readonly listeners = new Set<(blocked: ReadonlySet<string>) => void>();

  block(nodeIds: Iterable<string>): void {
    for (const id of nodeIds) this.blocked.add(id);
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

  isBlocked(nodeId: string): boolean {
    return this.blocked.has(nodeId);
  }

  get blockedIds(): readonly string[] {
    return [...this.blocked];
  }

  onChange(listener: (blocked: ReadonlySet<string>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l(this.blocked);
  }
}
