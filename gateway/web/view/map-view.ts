/** The SVG map: buildings, beacons, the walking marker, the position estimate and the closest beacon. */
import { START_OFFSET_M, mapBounds, viewBoxFor, type HuntMap, type MapPoint } from '../hunt-map.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

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

  constructor(
    private readonly root: SVGSVGElement,
    private readonly map: HuntMap,
    onWalk: (to: MapPoint) => void,
  ) {
    const tight = mapBounds(map, 0);
    this.unitM = Math.max(tight.maxXM - tight.minXM, tight.maxYM - tight.minYM, 1) / 100;
    const u = this.unitM;
    // Room around the drawing for the labels above the top row and the start position below the bottom one.
    root.setAttribute('viewBox', viewBoxFor(mapBounds(map, Math.max(5 * u, START_OFFSET_M + 10))));
    for (const b of map.buildings) {
      const shape =
        b.outline !== undefined
          ? svg('polygon', { points: b.outline.map((p) => `${sx(p)},${sy(p)}`).join(' '), 'stroke-width': u * 0.2 })
          : svg('circle', { cx: sx(b.position), cy: sy(b.position), r: u * 3, 'stroke-width': u * 0.2 });
      shape.classList.add('building');
      shape.dataset.buildingId = b.id;
      root.append(shape);
      this.buildings.set(b.id, shape);
    }
    for (const b of map.buildings) {
      const top = b.outline !== undefined ? Math.max(...b.outline.map((p) => p.yM)) : b.position.yM + u * 3;
      const label = svg('text', { x: sx(b.position), y: -top - u * 0.8, 'font-size': u * 1.7, class: 'building-label' });
      label.textContent = b.name;
      root.append(label);
    }
    this.link = svg('line', { class: 'link', 'stroke-width': u * 0.15, visibility: 'hidden' });
    root.append(this.link);
    for (const b of map.beacons) {
      const dot = svg('circle', { cx: sx(b.position), cy: sy(b.position), r: u * 0.32, class: 'beacon', 'stroke-width': u * 0.12 });
      dot.dataset.beaconId = b.id;
      const title = svg('title', {});
      title.textContent = b.id;
      dot.append(title);
      root.append(dot);
      this.beacons.set(b.id, dot);
    }
    this.estimate = svg('circle', { r: u * 1.3, class: 'estimate', 'stroke-width': u * 0.2, visibility: 'hidden' });
    this.player = svg('circle', { r: u * 0.6, class: 'player', 'stroke-width': u * 0.15 });
    this.player.id = 'player-marker';
    root.append(this.estimate, this.player);

    root.addEventListener('click', (e) => {
      const ctm = root.getScreenCTM();
      if (ctm === null) return;
      const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(ctm.inverse());
      onWalk({ xM: p.x, yM: -p.y });
    });
  }

  setPlayer(p: MapPoint): void {
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
