/**
 * Turns runtime values into JSON-safe ones for the inspector: Maps and Sets become objects and arrays, bigints strings,
 * byte arrays their length; cycles and depth beyond `maxDepth` become a marker string. Never throws.
 */
export function toJsonSafe(value: unknown, maxDepth = 32): unknown {
  return conv(value, maxDepth, new Set());
}

function conv(v: unknown, depth: number, seen: Set<object>): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return undefined;
  const o = v as object;
  if (seen.has(o)) return '[cycle]';
  if (depth <= 0) return '[too deep]';
  if (ArrayBuffer.isView(o)) return `[${o.byteLength} bytes]`;
  seen.add(o);
  try {
    if (o instanceof Map) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of o) out[String(k)] = conv(x, depth - 1, seen);
      return out;
    }
    if (o instanceof Set) return [...o].map((x) => conv(x, depth - 1, seen));
    if (Array.isArray(o)) return o.map((x) => conv(x, depth - 1, seen) ?? null);
    if (o instanceof Date) return o.toISOString();
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) {
      const c = conv(x, depth - 1, seen);
      if (c !== undefined) out[k] = c;
    }
    return out;
  } finally {
    seen.delete(o);
  }
}
