import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Where a node's CPU time went, from the `.cpuprofile` files `node --cpu-prof` writes: self time per function
 * (name, file, line), largest first, as a share of all samples. Enough to say "where the time goes" in a report.
 */
export function topFunctions(dir: string, limit = 15): Array<{ fn: string; selfPct: number }> {
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    p.samples.forEach((id, i) => {
      const n = byId.get(id)!;
      const url = n.callFrame.url.replace(/^.*\/(dist|node_modules)\//, '$1/');
      const name = `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
      const dt = p.timeDeltas[i] ?? 0;
      selfUs.set(name, (selfUs.get(name) ?? 0) + dt);
      totalUs += dt;
    });
  }
  return [...selfUs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([fn, us]) => ({ fn, selfPct: Math.round((us / Math.max(totalUs, 1)) * 1000) / 10 }));
}
