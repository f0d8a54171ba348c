import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * The hunt definition file (JSON or YAML). Rules are data: the actors interpret them with the pure functions in
 * rules.ts. Times are ISO-8601 instants with an offset, so "double points 18:00–18:30" is unambiguous across
 * time zones and daylight saving.
 */

const id = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected an id of 1-64 letters, digits, _ . : -');
const instant = z.iso.datetime({ offset: true });

/** Metres east/north of the hunt's origin on a flat city plane (the web page draws the map from these). */
const position = z.object({ xM: z.number().finite(), yM: z.number().finite() });

const treasure = z.object({
  id,
  name: z.string().min(1),
  /** How many players may claim this item (the first K to reach a beacon whose `treasure` rule names it). */
  capacity: z.number().int().min(1),
  points: z.number().int().default(0),
});

const building = z.object({
  id,
  name: z.string().min(1),
  position,
  /** Polygon of the building outline, same plane as `position`; optional, for drawing. */
  outline: z.array(position).min(3).optional(),
  treasures: z.array(treasure).default([]),
});

const visitPointsRule = z.object({
  type: z.literal('visitPoints'),
  /** Points for the first visit to this beacon (negative for a trap). */
  firstVisitPoints: z.number().int(),
  /** Points for each later visit, at most once per cooldown. */
  repeatVisitPoints: z.number().int().default(0),
  repeatCooldownMinutes: z.number().positive().default(10),
});

const treasureRule = z.object({ type: z.literal('treasure'), treasureId: id });

const beacon = z.object({
  id,
  buildingId: id,
  position,
  /** Measured RSSI at 1 m (dBm). */
  txPowerDbm: z.number().finite().min(-100).max(20),
  /** Log-distance path-loss exponent: 2 in free space, 2.5–4 indoors. */
  pathLossExponent: z.number().finite().min(1).max(6).default(2),
  rules: z.array(z.discriminatedUnion('type', [visitPointsRule, treasureRule])).default([]),
});

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (00:00-23:59)');

/** Either one absolute interval (`start`/`end`) or every day between `dailyStart` and `dailyEnd` (hunt's utcOffset). */
const timeWindow = z
  .object({
    id,
    start: instant.optional(),
    end: instant.optional(),
    dailyStart: clockTime.optional(),
    dailyEnd: clockTime.optional(),
    multiplier: z.number().positive(),
    /** Beacons the multiplier applies to; all beacons when absent. */
    beaconIds: z.array(id).min(1).optional(),
  })
  .refine(
    (w) => (w.start !== undefined && w.end !== undefined && w.dailyStart === undefined && w.dailyEnd === undefined) ||
      (w.start === undefined && w.end === undefined && w.dailyStart !== undefined && w.dailyEnd !== undefined),
    'expected either start and end, or dailyStart and dailyEnd',
  );

const achievement = z.discriminatedUnion('type', [
  z.object({ id, type: z.literal('allBeaconsOfBuilding'), buildingId: id, points: z.number().int().default(0) }),
  z.object({
    id,
    type: z.literal('distinctBeaconsWithin'),
    count: z.number().int().min(2),
    withinMinutes: z.number().positive(),
    points: z.number().int().default(0),
  }),
]);

/** The hunt is won by the first player meeting every condition given (at least one). */
const winCondition = z
  .object({ scoreAtLeast: z.number().int().min(1).optional(), achievements: z.array(id).min(1).optional() })
  .refine((w) => w.scoreAtLeast !== undefined || w.achievements !== undefined, 'expected scoreAtLeast or achievements');

export const huntSchema = z.object({
  id,
  name: z.string().min(1),
  start: instant,
  end: instant,
  /** Offset of the hunt's local time from UTC, for daily windows. */
  utcOffset: z.string().regex(/^[+-]([01]\d|2[0-3]):[0-5]\d$/, 'expected +HH:MM or -HH:MM').default('+00:00'),
  buildings: z.array(building).min(1),
  beacons: z.array(beacon).min(1),
  windows: z.array(timeWindow).default([]),
  achievements: z.array(achievement).default([]),
  win: winCondition,
});

export type HuntDefinition = z.infer<typeof huntSchema>;
export type BuildingDef = HuntDefinition['buildings'][number];
export type BeaconDef = HuntDefinition['beacons'][number];
export type TreasureDef = BuildingDef['treasures'][number];
export type BeaconRule = BeaconDef['rules'][number];
export type TimeWindowDef = HuntDefinition['windows'][number];
export type AchievementDef = HuntDefinition['achievements'][number];

export interface DefinitionProblem {
  /** e.g. `beacons[17].txPowerDbm` */
  readonly path: string;
  readonly message: string;
}

export class HuntDefinitionError extends Error {
  override readonly name = 'HuntDefinitionError';
  constructor(
    readonly problems: DefinitionProblem[],
    readonly source: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid hunt definition ${source}: ${problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; ')}`, options);
  }
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function zodProblemMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  return issue.message;
}

/** Parses and checks an already-decoded document; throws HuntDefinitionError listing every problem. */
export function validateHunt(doc: unknown, source = '<inline>'): HuntDefinition {
  const parsed = huntSchema.safeParse(doc);
  if (!parsed.success) {
    throw new HuntDefinitionError(
      parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: zodProblemMessage(i) })),
      source,
    );
  }
  const problems = crossReferenceProblems(parsed.data);
  if (problems.length > 0) throw new HuntDefinitionError(problems, source);
  return parsed.data;
}

/** Decodes JSON (or YAML, chosen by the file name) and validates. */
export function parseHunt(text: string, source = '<inline>'): HuntDefinition {
  let doc: unknown;
  try {
    doc = /\.ya?ml$/i.test(source) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new HuntDefinitionError([{ path: '', message: `not valid ${/\.ya?ml$/i.test(source) ? 'YAML' : 'JSON'}: ${(err as Error).message}` }], source, { cause: err });
  }
  return validateHunt(doc, source);
}

export function loadHuntFile(file: string): HuntDefinition {
  return parseHunt(readFileSync(file, 'utf8'), file);
}

function duplicates(list: ReadonlyArray<{ id: string }>, at: string, problems: DefinitionProblem[]): Set<string> {
  const seen = new Set<string>();
  list.forEach((item, i) => {
    if (seen.has(item.id)) problems.push({ path: `${at}[${i}].id`, message: `duplicate id "${item.id}"` });
    seen.add(item.id);
  });
  return seen;
}

/** Checks that every id a definition refers to exists and ids are unique. */
export function crossReferenceProblems(hunt: HuntDefinition): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  if (Date.parse(hunt.end) <= Date.parse(hunt.start)) problems.push({ path: 'end', message: 'must be after start' });
  const buildingIds = duplicates(hunt.buildings, 'buildings', problems);
  const beaconIds = duplicates(hunt.beacons, 'beacons', problems);
  duplicates(hunt.windows, 'windows', problems);
  const achievementIds = duplicates(hunt.achievements, 'achievements', problems);

  const treasureBuilding = new Map<string, string>();
  hunt.buildings.forEach((b, bi) => {
    b.treasures.forEach((t, ti) => {
      const at = `buildings[${bi}].treasures[${ti}]`;
      if (treasureBuilding.has(t.id)) problems.push({ path: `${at}.id`, message: `duplicate treasure id "${t.id}"` });
      treasureBuilding.set(t.id, b.id);
    });
  });

  hunt.beacons.forEach((b, i) => {
    if (!buildingIds.has(b.buildingId)) problems.push({ path: `beacons[${i}].buildingId`, message: `unknown building "${b.buildingId}"` });
    b.rules.forEach((r, ri) => {
      if (r.type !== 'treasure') return;
      const owner = treasureBuilding.get(r.treasureId);
      if (owner === undefined) problems.push({ path: `beacons[${i}].rules[${ri}].treasureId`, message: `unknown treasure "${r.treasureId}"` });
      else if (owner !== b.buildingId && buildingIds.has(b.buildingId)) problems.push({ path: `beacons[${i}].rules[${ri}].treasureId`, message: `treasure "${r.treasureId}" belongs to building "${owner}", not "${b.buildingId}"` });
    });
  });

  hunt.windows.forEach((w, i) => {
    if (w.start !== undefined && w.end !== undefined && Date.parse(w.end) <= Date.parse(w.start)) {
      problems.push({ path: `windows[${i}].end`, message: 'must be after start' });
    }
    if (w.dailyStart !== undefined && w.dailyEnd !== undefined && w.dailyEnd <= w.dailyStart) {
      problems.push({ path: `windows[${i}].dailyEnd`, message: 'must be after dailyStart (windows across midnight: use two)' });
    }
    w.beaconIds?.forEach((b, bi) => {
      if (!beaconIds.has(b)) problems.push({ path: `windows[${i}].beaconIds[${bi}]`, message: `unknown beacon "${b}"` });
    });
  });

  hunt.achievements.forEach((a, i) => {
    if (a.type === 'allBeaconsOfBuilding' && !buildingIds.has(a.buildingId)) {
      problems.push({ path: `achievements[${i}].buildingId`, message: `unknown building "${a.buildingId}"` });
    }
  });
  hunt.win.achievements?.forEach((a, i) => {
    if (!achievementIds.has(a)) problems.push({ path: `win.achievements[${i}]`, message: `unknown achievement "${a}"` });
  });
  return problems;
}
