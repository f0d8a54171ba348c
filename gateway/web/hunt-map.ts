/**
 * What the page knows about a hunt: buildings, beacons and treasure names on a flat plane in metres
 * (x east, y north). It is a projection of the hunt definition without its rules, so serving it to every
 * browser does not tell players which beacon hides which treasure.
 */

export interface MapPoint {
  readonly xM: number;
  readonly yM: number;
}

export interface MapTreasure {
  readonly id: string;
  readonly name: string;
  readonly capacity: number;
}

export interface MapBuilding {
  readonly id: string;
  readonly name: string;
  readonly position: MapPoint;
  readonly outline?: readonly MapPoint[];
  readonly treasures: readonly MapTreasure[];
}

export interface MapBeacon {
  readonly id: string;
  readonly buildingId: string;
  readonly position: MapPoint;
  /** RSSI at 1 m, dBm. */
  readonly txPowerDbm: number;
  readonly pathLossExponent: number;
}

export interface HuntMap {
  readonly id: string;
  readonly name: string;
  readonly buildings: readonly MapBuilding[];
  readonly beacons: readonly MapBeacon[];
}

/** The fields of a hunt definition (actors/hunt/definition.ts) the map needs; extra fields are ignored. */
export interface HuntMapSource {
  readonly id: string;
  readonly name: string;
  readonly buildings: ReadonlyArray<MapBuilding>;
  readonly beacons: ReadonlyArray<Omit<MapBeacon, 'pathLossExponent'> & { readonly pathLossExponent?: number }>;
}

/** Path-loss exponent assumed when a beacon does not give one (free space), matching the definition's default. */
export const DEFAULT_PATH_LOSS_EXPONENT = 2;

const point = (p: MapPoint): MapPoint => ({ xM: p.xM, yM: p.yM });

/** Copies only the public fields, in a fixed shape, so nothing secret rides along by accident. */
export function toHuntMap(source: HuntMapSource): HuntMap {
  return {
    id: source.id,
    name: source.name,
    buildings: source.buildings.map((b) => ({
      id: b.id,
      name: b.name,
      position: point(b.position),
      ...(b.outline !== undefined ? { outline: b.outline.map(point) } : {}),
      treasures: b.treasures.map((t) => ({ id: t.id, name: t.name, capacity: t.capacity })),
    })),
    beacons: source.beacons.map((b) => ({
      id: b.id,
      buildingId: b.buildingId,
      position: point(b.position),
      txPowerDbm: b.txPowerDbm,
      pathLossExponent: b.pathLossExponent ?? DEFAULT_PATH_LOSS_EXPONENT,
    })),
  };
}

/** /hunt.json did not have the expected shape. */
export class HuntMapError extends Error {
  override readonly name = 'HuntMapError';
}

function expect(cond: boolean, path: string, rule: string): void {
  if (!cond) throw new HuntMapError(`hunt.json ${path}: ${rule}`);
}

function checkPoint(p: unknown, path: string): void {
  const o = p as Partial<MapPoint> | null;
  expect(typeof o === 'object' && o !== null, path, 'expected an object');
  expect(Number.isFinite(o!.xM) && Number.isFinite(o!.yM), path, 'expected finite xM and yM');
}

/** Checks the document the page fetched; the server validated the full definition, this guards the page's assumptions. */
export function parseHuntMap(doc: unknown): HuntMap {
  const o = doc as Partial<HuntMap> | null;
  expect(typeof o === 'object' && o !== null, '(root)', 'expected an object');
  expect(typeof o!.id === 'string' && typeof o!.name === 'string', '(root)', 'expected string id and name');
  expect(Array.isArray(o!.buildings) && Array.isArray(o!.beacons), '(root)', 'expected buildings and beacons arrays');
  o!.buildings!.forEach((b, i) => {
    expect(typeof b.id === 'string' && typeof b.name === 'string', `buildings[${i}]`, 'expected string id and name');
    checkPoint(b.position, `buildings[${i}].position`);
    b.outline?.forEach((p, j) => checkPoint(p, `buildings[${i}].outline[${j}]`));
    expect(Array.isArray(b.treasures), `buildings[${i}].treasures`, 'expected an array');
  });
  o!.beacons!.forEach((b, i) => {
    expect(typeof b.id === 'string' && typeof b.buildingId === 'string', `beacons[${i}]`, 'expected string id and buildingId');
    checkPoint(b.position, `beacons[${i}].position`);
    expect(Number.isFinite(b.txPowerDbm), `beacons[${i}].txPowerDbm`, 'expected a finite number');
    expect(Number.isFinite(b.pathLossExponent) && b.pathLossExponent > 0, `beacons[${i}].pathLossExponent`, 'expected a positive number');
  });
  return o as HuntMap;
}

export interface Bounds {
  readonly minXM: number;
  readonly minYM: number;
  readonly maxXM: number;
  readonly maxYM: number;
}

/** Smallest box holding every building, outline point and beacon, grown by `marginM` on each side. */
export function mapBounds(map: HuntMap, marginM: number): Bounds {
  const points: MapPoint[] = [];
  for (const b of map.buildings) points.push(b.position, ...(b.outline ?? []));
  for (const b of map.beacons) points.push(b.position);
  if (points.length === 0) return { minXM: -marginM, minYM: -marginM, maxXM: marginM, maxYM: marginM };
  const xs = points.map((p) => p.xM);
  const ys = points.map((p) => p.yM);
  return {
    minXM: Math.min(...xs) - marginM,
    minYM: Math.min(...ys) - marginM,
    maxXM: Math.max(...xs) + marginM,
    maxYM: Math.max(...ys) + marginM,
  };
}

/** An SVG viewBox in map metres (y already flipped). */
export interface ViewBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** SVG viewBox for the bounds; SVG's y axis points down, so the map draws north up at y = -yM. */
export function viewBoxFor(bounds: Bounds): ViewBox {
  return { x: bounds.minXM, y: -bounds.maxYM, width: bounds.maxXM - bounds.minXM, height: bounds.maxYM - bounds.minYM };
}

export function formatViewBox(box: ViewBox): string {
  return `${box.x} ${box.y} ${box.width} ${box.height}`;
}

/**
 * Zooms by `factor` (below 1 zooms in) keeping `center` where it is on screen. Never narrower than
 * `minWidth` nor wider than `full`, and kept inside `full`, so zooming out always ends at the whole map.
 */
export function zoomViewBox(box: ViewBox, factor: number, center: { x: number; y: number }, full: ViewBox, minWidth: number): ViewBox {
  const width = Math.min(full.width, Math.max(minWidth, box.width * factor));
  const scale = width / box.width;
  const height = box.height * scale;
  const clampTo = (v: number, lo: number, span: number, fullSpan: number) => Math.min(Math.max(v, lo), lo + fullSpan - span);
  return {
    x: clampTo(center.x - (center.x - box.x) * scale, full.x, width, full.width),
    y: clampTo(center.y - (center.y - box.y) * scale, full.y, height, full.height),
    width,
    height,
  };
}

/**
 * How far south-west of the map's corner the player starts, in metres (57 m diagonally): out of earshot of
 * typical beacons (-65 dBm at 1 m with exponent 2.3 falls below -95 dBm beyond 20 m), so nothing is awarded
 * until the player walks somewhere.
 * @default 40
 */
export const START_OFFSET_M = 40;

export function startPosition(map: HuntMap): MapPoint {
  const b = mapBounds(map, START_OFFSET_M);
  return { xM: b.minXM, yM: b.minYM };
}

export function buildingOfBeacon(map: HuntMap): (beaconId: string) => string | undefined {
  const byBeacon = new Map(map.beacons.map((b) => [b.id, b.buildingId]));
  return (beaconId) => byBeacon.get(beaconId);
}
