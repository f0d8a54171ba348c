/**
 * Entry point of the player page (bundled by scripts/build-web.mjs into static/app.js). Reads
 * `?player=ID&token=JWT`, loads /hunt.json, draws the map and hands the conversation to PlayerSession.
 */
import { HuntWebClient } from './hunt-client.js';
import { parseHuntMap, startPosition, type HuntMap, type MapPoint } from './hunt-map.js';
import type { PageState } from './page-state.js';
import { PlayerSession } from './player-session.js';
import { MapView } from './view/map-view.js';
import { Panels } from './view/panels.js';
import { estimatePosition, simulateScan, stepFor } from './walk.js';

function fail(message: string): void {
  const banner = document.getElementById('error-banner');
  if (banner === null) return;
  banner.textContent = message;
  banner.hidden = false;
  const status = document.getElementById('conn-status');
  if (status !== null) {
    status.dataset.state = 'failed';
    status.textContent = 'not connected';
  }
}

async function loadMap(): Promise<HuntMap> {
  const response = await fetch('/hunt.json');
  if (!response.ok) throw new Error(`GET /hunt.json answered HTTP ${response.status}`);
  return parseHuntMap(await response.json());
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const playerId = params.get('player');
  const token = params.get('token');
  if (playerId === null || playerId === '' || token === null || token === '') {
    fail('This page needs ?player=ID&token=JWT in its address. The demo prints such links; "quarry token issue --player alice" makes a token.');
    return;
  }

  let map: HuntMap;
  try {
    map = await loadMap();
  } catch (err) {
    fail(`Could not load the hunt map: ${(err as Error).message}`);
    return;
  }

  const beaconsById = new Map(map.beacons.map((b) => [b.id, b]));
  let position: MapPoint = startPosition(map);
  let estimate: MapPoint | undefined;

  const panels = new Panels(map, playerId);
  const client = new HuntWebClient({ baseUrl: location.origin, token: () => token });
  let session: PlayerSession | undefined;

  const render = (state: PageState): void => {
    panels.render(state);
    view.setClosest(state.closestBeaconId, estimate);
    view.setCurrentBuilding(state.buildingId);
    // Beacons stay green once they paid out, even after their award scrolls out of the feed.
    for (const item of state.feed) if (item.award.points > 0) view.markVisited(item.award.beaconId);
  };

  const walkTo = (to: MapPoint): void => {
    position = to;
    view.setPlayer(position);
    void session?.sendFix();
  };

  const svgRoot = document.getElementById('map') as unknown as SVGSVGElement;
  const view = new MapView(svgRoot, map, walkTo);
  view.setPlayer(position);

  session = new PlayerSession(client, playerId, map, {
    onState: render,
    onConnection: (state, detail) => panels.setConnection(state, detail),
    onFatal: (message) => panels.showError(message),
    scan: () => {
      const readings = simulateScan(position, map.beacons, Math.random);
      estimate = estimatePosition(readings, beaconsById);
      view.setEstimate(estimate);
      return readings;
    },
  });

  const button = (id: string, action: () => void) => document.getElementById(id)?.addEventListener('click', action);
  button('zoom-in', () => view.zoomAtPlayer(true));
  button('zoom-out', () => view.zoomAtPlayer(false));
  button('zoom-fit', () => view.zoomToFit());
  const keyActions: Readonly<Record<string, () => void>> = {
    '+': () => view.zoomAtPlayer(true),
    '=': () => view.zoomAtPlayer(true),
    '-': () => view.zoomAtPlayer(false),
    '0': () => view.zoomToFit(),
  };
  document.addEventListener('keydown', (e) => {
    const to = stepFor(position, e.key);
    const action = keyActions[e.key];
    if (to === undefined && action === undefined) return;
    e.preventDefault();
    if (to !== undefined) walkTo(to);
    else action?.();
  });
  window.addEventListener('pagehide', () => session?.stop());
  panels.render(session.current);
  session.start();
}

main().catch((err: unknown) => fail(`The page failed to start: ${(err as Error).message}`));
