/** The SVG map: buildings, beacons, the walking marker, the position estimate and the closest beacon. */
import { START_OFFSET_M, formatViewBox, mapBounds, viewBoxFor, zoomViewBox, type HuntMap, type MapPoint, type ViewBox } from '../hunt-map.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/**
 * Zoom per wheel notch or button press.
 * @default 1.5
 */
export const ZOOM_STEP = 1.5;
/**
 * Narrowest view, as a fraction of the whole map's width (about one building on the sample hunt).
 * @default 0.04
 */
export const MIN_VIEW_FRACTION = 0.04;

/** Map coordinates are metres with y north; SVG y grows downwards. */
const sx = (p: MapPoint): number => p.xM;
const sy = (p: MapPoint): number => -p.yM;

export class MapView {
  private readonly beacons = new Map<string, SVGCircleElement>();
  private readonly buildings = new Map<string, SVGElement>();
  private readonly player: SVGCircleElement;
  private readonly estimate: SVGCircleElement;
  private readonly link: SVGLineElement;
  private closestId: string | undefined;
  private buildingId: string | undefined;
  /** Size of drawn symbols in metres, scaled to the map so a 200 m and a 5 km hunt both read well. */
  private readonly unitM: number;
  private readonly full: ViewBox;
  private view: ViewBox;
  private playerAt: MapPoint = { xM: 0, yM: 0 };
  /** Re-apply symbol sizes for a zoom level, so dots and labels keep their size on screen while the map zooms. */
  private readonly resizers: Array<(zoom: number) => void> = [];

  constructor(
    private readonly root: SVGSVGElement,
    private readonly map: HuntMap,
    onWalk: (to: MapPoint) => void,
  ) {
    const tight = mapBounds(map, 0);
    this.unitM = Math.max(tight.maxXM - tight.minXM, tight.maxYM - tight.minYM, 1) / 100;
    const u = this.unitM;
    // Room around the drawing for the labels above the top row and the start position below the bottom one.
    this.full = viewBoxFor(mapBounds(map, Math.max(5 * u, START_OFFSET_M + 10)));
    this.view = this.full;
    const sized = <E extends SVGElement>(el: E, attrs: Record<string, (zoom: number) => number>): E => {
      const apply = (zoom: number) => {
        for (const [k, f] of Object.entries(attrs)) el.setAttribute(k, String(f(zoom)));
      };
      apply(1);
      this.resizers.push(apply);
      return el;
    };
    for (const b of map.buildings) {
      const shape =
        b.outline !== undefined
          ? svg('polygon', { points: b.outline.map((p) => `${sx(p)},${sy(p)}`).join(' ') })
          : svg('circle', { cx: sx(b.position), cy: sy(b.position), r: u * 3 });
      sized(shape, { 'stroke-width': (z) => u * 0.2 * z });
      shape.classList.add('building');
      shape.dataset.buildingId = b.id;
      root.append(shape);
      this.buildings.set(b.id, shape);
    }
    for (const b of map.buildings) {
      const top = b.outline !== undefined ? Math.max(...b.outline.map((p) => p.yM)) : b.position.yM + u * 3;
      const label = sized(svg('text', { x: sx(b.position), class: 'building-label' }), { y: (z) => -top - u * 0.8 * z, 'font-size': (z) => u * 1.7 * z });
      label.textContent = b.name;
      root.append(label);
    }
    this.link = sized(svg('line', { class: 'link', visibility: 'hidden' }), { 'stroke-width': (z) => u * 0.15 * z });
    root.append(this.link);
    for (const b of map.beacons) {
      const dot = sized(svg('circle', { cx: sx(b.position), cy: sy(b.position), class: 'beacon' }), { r: (z) => u * 0.32 * z, 'stroke-width': (z) => u * 0.12 * z });
      dot.dataset.beaconId = b.id;
      const title = svg('title', {});
      title.textContent = b.id;
      dot.append(title);
      root.append(dot);
      this.beacons.set(b.id, dot);
    }
    this.estimate = sized(svg('circle', { class: 'estimate', visibility: 'hidden' }), { r: (z) => u * 1.3 * z, 'stroke-width': (z) => u * 0.2 * z });
    this.player = sized(svg('circle', { class: 'player' }), { r: (z) => u * 0.6 * z, 'stroke-width': (z) => u * 0.15 * z });
    this.player.id = 'player-marker';
    root.append(this.estimate, this.player);
    this.applyView();

    root.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const at = this.toMap(e.clientX, e.clientY);
        if (at !== undefined) this.zoom(e.deltaY > 0 ? ZOOM_STEP : 1 / ZOOM_STEP, at);
      },
      { passive: false },
    );
    root.addEventListener('click', (e) => {
      const at = this.toMap(e.clientX, e.clientY);
      if (at !== undefined) onWalk({ xM: at.x, yM: -at.y });
    });
  }

  /** Zooms in (`in` true) or out around the player marker, as the +/- buttons do. */
  zoomAtPlayer(zoomIn: boolean): void {
    this.zoom(zoomIn ? 1 / ZOOM_STEP : ZOOM_STEP, { x: sx(this.playerAt), y: sy(this.playerAt) });
  }

  zoomToFit(): void {
    this.view = this.full;
    this.applyView();
  }

  private zoom(factor: number, at: { x: number; y: number }): void {
    this.view = zoomViewBox(this.view, factor, at, this.full, this.full.width * MIN_VIEW_FRACTION);
    this.applyView();
  }

  private applyView(): void {
    this.root.setAttribute('viewBox', formatViewBox(this.view));
    const zoom = this.view.width / this.full.width;
    for (const resize of this.resizers) resize(zoom);
  }

  /** Screen pixel -> SVG user units (metres, y flipped). */
  private toMap(clientX: number, clientY: number): { x: number; y: number } | undefined {
    const ctm = this.root.getScreenCTM();
    if (ctm === null) return undefined;
    const p = new DOMPoint(clientX, clientY).matrixTransform(ctm.inverse());
    return { x: p.x, y: p.y };
  }

  setPlayer(p: MapPoint): void {
    this.playerAt = p;
    this.player.setAttribute('cx', String(sx(p)));
    this.player.setAttribute('cy', String(sy(p)));
  }

  setEstimate(p: MapPoint | undefined): void {
    this.estimate.setAttribute('visibility', p === undefined ? 'hidden' : 'visible');
    if (p === undefined) return;
    this.estimate.setAttribute('cx', String(sx(p)));
    this.estimate.setAttribute('cy', String(sy(p)));
  }

  /** Highlights the beacon the server picked and draws a line to it from the estimate. */
  setClosest(beaconId: string | undefined, from: MapPoint | undefined): void {
    if (this.closestId !== undefined) this.beacons.get(this.closestId)?.classList.remove('closest');
    this.closestId = beaconId;
    const beacon = beaconId === undefined ? undefined : this.map.beacons.find((b) => b.id === beaconId);
    if (beaconId !== undefined) this.beacons.get(beaconId)?.classList.add('closest');
    if (beacon === undefined || from === undefined) {
      this.link.setAttribute('visibility', 'hidden');
      return;
    }
    this.link.setAttribute('visibility', 'visible');
    this.link.setAttribute('x1', String(sx(from)));
    this.link.setAttribute('y1', String(sy(from)));
    this.link.setAttribute('x2', String(sx(beacon.position)));
    this.link.setAttribute('y2', String(sy(beacon.position)));
  }

  setCurrentBuilding(buildingId: string | undefined): void {
    if (buildingId === this.buildingId) return;
    if (this.buildingId !== undefined) this.buildings.get(this.buildingId)?.classList.remove('current');
    if (buildingId !== undefined) this.buildings.get(buildingId)?.classList.add('current');
    this.buildingId = buildingId;
  }

  markVisited(beaconId: string): void {
    this.beacons.get(beaconId)?.classList.add('visited');
  }
}
