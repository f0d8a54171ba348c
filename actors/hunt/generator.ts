import type { HuntDefinition } from './definition.js';

/**
 * Deterministic hunt generator: the same options give byte-identical output, so samples and benchmarks are
 * reproducible. Buildings sit on a grid over a city plane (metres east/north of an origin); each building's beacons
 * are spread over its footprint.
 */
export interface GenerateOptions {
  readonly buildings: number;
  readonly beacons: number;
  readonly seed: number;
  readonly id?: string;
  /** Hunt window; the default spans years so demos award points whenever they run. */
  readonly start?: string;
  readonly end?: string;
}

/** mulberry32: tiny, fast, good enough for layout (not for secrets). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['Library', 'Town Hall', 'Museum', 'Market Hall', 'Station', 'Opera', 'Cathedral', 'Gallery', 'Arcade', 'Observatory', 'Tower', 'Exchange', 'Theatre', 'Bathhouse', 'Armoury', 'Conservatory', 'Mint', 'Customs House', 'Guildhall', 'Archive'];
const ITEMS = ['Brass Compass', 'Silver Key', 'Golden Map', 'Crystal Lens', 'Iron Crown', 'Jade Seal', 'Copper Astrolabe', 'Velvet Scroll'];

const round1 = (x: number): number => Math.round(x * 10) / 10;

export function generateHunt(options: GenerateOptions): HuntDefinition {
  const { buildings: nb, beacons: nbeacons, seed } = options;
  if (!Number.isInteger(nb) || nb < 1) throw new RangeError(`buildings: expected an integer >= 1, got ${nb}`);
  if (!Number.isInteger(nbeacons) || nbeacons < nb) throw new RangeError(`beacons: expected an integer >= buildings (${nb}), got ${nbeacons}`);
  const rnd = seededRandom(seed);
  const cols = Math.ceil(Math.sqrt(nb));
  const pad = (n: number, width: number): string => String(n).padStart(width, '0');
  const bw = String(nb - 1).length;
  const cw = String(nbeacons - 1).length;

  const buildings: HuntDefinition['buildings'] = [];
  for (let i = 0; i < nb; i++) {
    const xM = round1((i % cols) * 400 + 100 + rnd() * 150);
    const yM = round1(Math.floor(i / cols) * 400 + 100 + rnd() * 150);
    const w = round1(40 + rnd() * 60);
    const h = round1(30 + rnd() * 50);
    buildings.push({
      id: `b${pad(i, bw)}`,
      name: `${NAMES[i % NAMES.length]}${i >= NAMES.length ? ` ${Math.floor(i / NAMES.length) + 1}` : ''}`,
      position: { xM, yM },
      outline: [
        { xM: round1(xM - w / 2), yM: round1(yM - h / 2) },
        { xM: round1(xM + w / 2), yM: round1(yM - h / 2) },
        { xM: round1(xM + w / 2), yM: round1(yM + h / 2) },
        { xM: round1(xM - w / 2), yM: round1(yM + h / 2) },
      ],
      treasures: [0, 1].map((t) => ({
        id: `b${pad(i, bw)}-t${t}`,
        name: ITEMS[(i * 2 + t) % ITEMS.length]!,
        capacity: t === 0 ? 3 : 1 + Math.floor(rnd() * 5),
        points: t === 0 ? 300 : 150,
      })),
    });
  }

  const beacons: HuntDefinition['beacons'] = [];
  const perBuilding = new Array<number>(nb).fill(0);
  for (let j = 0; j < nbeacons; j++) {
    const bi = j % nb;
    const b = buildings[bi]!;
    const k = perBuilding[bi]++;
    const corner = b.outline![0]!;
    const far = b.outline![2]!;
    const rules: HuntDefinition['beacons'][number]['rules'] = [];
    // One beacon in 37 is a trap: walking past it costs points (the audit log says why).
    if (j % 37 === 36) rules.push({ type: 'visitPoints', firstVisitPoints: -225, repeatVisitPoints: 0, repeatCooldownMinutes: 10 });
    else rules.push({ type: 'visitPoints', firstVisitPoints: 50 + 10 * Math.floor(rnd() * 16), repeatVisitPoints: 10, repeatCooldownMinutes: 10 });
    if (k < 2) rules.push({ type: 'treasure', treasureId: b.treasures[k]!.id });
    beacons.push({
      id: `k${pad(j, cw)}`,
      buildingId: b.id,
      position: { xM: round1(corner.xM + rnd() * (far.xM - corner.xM)), yM: round1(corner.yM + rnd() * (far.yM - corner.yM)) },
      txPowerDbm: -59 - Math.floor(rnd() * 8),
      pathLossExponent: round1(2 + rnd() * 1.5),
      rules,
    });
  }

  const achievements: HuntDefinition['achievements'] = buildings.map((b) => ({
    id: `complete-${b.id}`,
    type: 'allBeaconsOfBuilding' as const,
    buildingId: b.id,
    points: 500,
  }));
  achievements.push({ id: 'sprinter', type: 'distinctBeaconsWithin', count: 5, withinMinutes: 10, points: 200 });

  return {
    id: options.id ?? `hunt-${seed}`,
    name: `Generated city hunt (seed ${seed})`,
    start: options.start ?? '2026-01-01T00:00:00+00:00',
    end: options.end ?? '2030-01-01T00:00:00+00:00',
    utcOffset: '+01:00',
    buildings,
    beacons,
    windows: [{ id: 'happy-hour', dailyStart: '18:00', dailyEnd: '18:30', multiplier: 2 }],
    achievements,
    win: { achievements: buildings.slice(0, Math.min(3, nb)).map((b) => `complete-${b.id}`).concat('sprinter') },
  };
}
