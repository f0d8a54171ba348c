/** Plain-text renderings for the `quarry` admin commands (pure, so they are table-tested). */
import type { ClusterStatus, MovePlan } from '../../proto/gen/admin.js';

/** Left-aligned columns separated by two spaces; the header is followed by a dashed rule. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatKinds(byKind: Record<string, number>): string {
  const entries = Object.entries(byKind).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length === 0 ? '-' : entries.map(([k, n]) => `${k}=${n}`).join(' ');
}

export const formatShare = (share: number): string => `${(share * 100).toFixed(1)}%`;

export function formatStatus(s: ClusterStatus): string {
  const rows = s.members.map((m) => [
    m.id + (m.id === s.nodeId ? '*' : ''), m.state, String(m.incarnation), m.address, formatShare(m.ringShare),
    m.unreachableReason !== '' ? `unreachable (${m.unreachableReason})` : formatKinds(m.activeActorsByKind),
    m.unreachableReason !== '' ? '-' : `${m.eventLoopLagMs.toFixed(1)}ms`,
  ]);
  return `${formatTable(['MEMBER', 'STATE', 'INC', 'ADDRESS', 'RING', 'ACTIVE ACTORS', 'LOOP LAG P99'], rows)}\nring ${s.ringChecksum} (* = node asked)`;
}

export function formatRing(s: ClusterStatus): string {
  const rows = [...s.members].filter((m) => m.ringShare > 0).sort((a, b) => b.ringShare - a.ringShare).map((m) => [m.id, m.state, formatShare(m.ringShare)]);
  return `${formatTable(['MEMBER', 'STATE', 'SHARE'], rows)}\nchecksum ${s.ringChecksum}`;
}

export function formatPlan(p: MovePlan): string {
  const rows = Object.entries(p.actorsByKind).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, n]) => [k, String(n)]);
  const total = Object.values(p.actorsByKind).reduce((a, b) => a + b, 0);
  return `${formatTable(['KIND', 'ACTORS'], rows)}\n${total} actor(s) would move${p.bytes > 0 ? `, ${p.bytes} bytes` : ''}`;
}
