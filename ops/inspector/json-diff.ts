/** One difference between two JSON values, at `path` (object keys and array indexes from the root). */
export type JsonChange =
  | { readonly op: 'add'; readonly path: readonly (string | number)[]; readonly after: unknown }
  | { readonly op: 'remove'; readonly path: readonly (string | number)[]; readonly before: unknown }
  | { readonly op: 'change'; readonly path: readonly (string | number)[]; readonly before: unknown; readonly after: unknown };

/**
 * Structural diff of two JSON-like values. Objects are compared key by key, arrays index by index (an insert in the
 * middle of an array shows as changes plus one add; good enough for "what did this message do", and predictable).
 * Values of different types, or primitives that differ, are one `change` at their path. Stops after `maxChanges`.
 */
export function jsonDiff(before: unknown, after: unknown, maxChanges = DEFAULT_MAX_DIFF_CHANGES): JsonChange[] {
  const out: JsonChange[] = [];
  walk(before, after, [], out, maxChanges);
  return out;
}

/** Most changes one diff reports (a message rewriting a huge state is summarised by its first changes). @default 50 */
export const DEFAULT_MAX_DIFF_CHANGES = 50;

function walk(a: unknown, b: unknown, path: (string | number)[], out: JsonChange[], max: number): void {
  if (out.length >= max || Object.is(a, b)) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n && out.length < max; i++) {
      if (i >= a.length) out.push({ op: 'add', path: [...path, i], after: b[i] });
      else if (i >= b.length) out.push({ op: 'remove', path: [...path, i], before: a[i] });
      else walk(a[i], b[i], [...path, i], out, max);
    }
    return;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const k of Object.keys(a)) {
      if (out.length >= max) return;
      if (!(k in b)) out.push({ op: 'remove', path: [...path, k], before: a[k] });
      else walk(a[k], b[k], [...path, k], out, max);
    }
    for (const k of Object.keys(b)) {
      if (out.length >= max) return;
      if (!(k in a)) out.push({ op: 'add', path: [...path, k], after: b[k] });
    }
    return;
  }
  out.push({ op: 'change', path, before: a, after: b });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
