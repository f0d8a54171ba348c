/** The side panels and header, redrawn from PageState (small lists, so a full redraw per change is cheap). */
import type { HuntMap } from '../hunt-map.js';
import type { PageState } from '../page-state.js';
import type { ConnectionState } from '../player-session.js';

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`page is missing #${id}`);
  return node as T;
}

function li(text: string, className?: string): HTMLLIElement {
  const node = document.createElement('li');
  node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

function span(text: string, className: string): HTMLSpanElement {
  const node = document.createElement('span');
  node.textContent = text;
  node.className = className;
  return node;
}

export class Panels {
  private readonly buildingNames: ReadonlyMap<string, string>;
  private readonly treasureNames: ReadonlyMap<string, string>;

  constructor(
    private readonly map: HuntMap,
    private readonly playerId: string,
  ) {
    this.buildingNames = new Map(map.buildings.map((b) => [b.id, b.name]));
    this.treasureNames = new Map(map.buildings.flatMap((b) => b.treasures.map((t) => [t.id, t.name] as const)));
    byId('hunt-name').textContent = map.name;
    byId('player-id').textContent = `playing as ${playerId}`;
  }

  render(state: PageState): void {
    byId('score').textContent = String(state.score);
    byId('closest-beacon').textContent = state.closestBeaconId ?? '—';
    byId('building-name').textContent = state.buildingId === undefined ? '—' : (this.buildingNames.get(state.buildingId) ?? state.buildingId);
    byId('fix-count').textContent = `${state.fixesAccepted} / ${state.fixesSent}`;

    const gap = byId('gap-indicator');
    gap.hidden = state.gaps.length === 0;
    const last = state.gaps.at(-1);
    if (last !== undefined) {
      const times = state.gaps.length === 1 ? 'once' : `${state.gaps.length} times`;
      gap.textContent = `⚠ events were missed (${times}; last on ${last.channel} between seq ${last.afterSeq} and ${last.beforeSeq})`;
    }

    const feed = byId('feed');
    feed.replaceChildren(
      ...(state.feed.length === 0
        ? [li('none yet', 'muted')]
        : state.feed.map((f) => {
            const item = li('');
            const pts = span(`${f.award.points >= 0 ? '+' : ''}${f.award.points}`, f.award.points >= 0 ? 'points' : 'points negative');
            item.append(pts, ` at ${f.award.beaconId}${f.award.reason !== '' ? ` (${f.award.reason})` : ''}`);
            return item;
          })),
    );

    byId('achievements').replaceChildren(...(state.achievements.length === 0 ? [li('none yet', 'muted')] : state.achievements.map((a) => li(a))));

    this.renderTreasures(state);
    this.renderLeaderboard(state);

    const winner = byId('winner-banner');
    winner.hidden = state.winner === undefined;
    if (state.winner !== undefined) {
      winner.textContent = state.winner.playerId === this.playerId ? '🏆 You won the hunt!' : `🏆 ${state.winner.playerId} won the hunt.`;
    }
  }

  private renderTreasures(state: PageState): void {
    const list = byId('treasure-list');
    if (state.buildingId === undefined) {
      list.replaceChildren(li('not in a building', 'muted'));
      return;
    }
    if (state.treasureList === undefined) {
      list.replaceChildren(li('loading…', 'muted'));
      return;
    }
    if (state.treasureList.treasures.length === 0) {
      list.replaceChildren(li('no treasures in this building', 'muted'));
      return;
    }
    list.dataset.version = String(state.treasureList.version);
    list.replaceChildren(
      ...state.treasureList.treasures.map((t) => {
        const left = Math.max(0, t.capacity - t.claimedBy.length);
        const mine = t.claimedBy.includes(this.playerId);
        const item = li(t.name !== '' ? t.name : (this.treasureNames.get(t.id) ?? t.id), mine ? 'mine' : left === 0 ? 'gone' : undefined);
        item.dataset.treasureId = t.id;
        item.append(span(mine ? 'yours' : `${left} of ${t.capacity} left`, 'left'));
        return item;
      }),
    );
  }

  private renderLeaderboard(state: PageState): void {
    const board = state.leaderboard;
    const list = byId('leaderboard');
    const own = byId('own-rank');
    if (board === undefined) {
      list.replaceChildren();
      own.textContent = 'loading…';
      return;
    }
    list.replaceChildren(
      ...board.top.map((e) => {
        const item = li(`${e.rank}. ${e.playerId}${e.playerId === this.playerId ? ' (you)' : ''}`, e.playerId === this.playerId ? 'me' : undefined);
        item.append(span(String(e.score), 'pts'));
        return item;
      }),
    );
    const inTop = board.top.some((e) => e.playerId === this.playerId);
    own.textContent =
      board.own === undefined || board.own.rank === 0
        ? 'You are not ranked yet.'
        : inTop
          ? ''
          : `You: rank ${board.own.rank} with ${board.own.score} points`;
  }

  setConnection(state: ConnectionState, detail: string): void {
    const node = byId('conn-status');
    node.dataset.state = state;
    node.textContent = detail;
  }

  showError(message: string): void {
    const banner = byId('error-banner');
    banner.textContent = message;
    banner.hidden = false;
  }
}
