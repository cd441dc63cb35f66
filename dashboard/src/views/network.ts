// The network's picture: the project's lighthouses in the middle, its live
// devices around them, a line from each device to each lighthouse (where
// nebula finds its peers and, failing a direct path, relays through). Online
// is green and filled, offline grey, hollow and dashed — shape and text say
// it too, and a legend and a plain list under the picture read the same
// facts for anyone who cannot tell the colours apart or cannot see them.
// Which pairs of devices talk directly and which through a relay is drawn
// only when the device rows report it (`paths`); today's agents do not, and
// the page says so rather than guess.
import type { DeviceOverview, ProjectDetail } from '../../../client/src/browser.ts';
import { h, mount } from '../dom.ts';
import { folderHealth, foldersOf } from '../folders.ts';
import type { Tab } from './tab.ts';

const SVG = 'http://www.w3.org/2000/svg';
/** The picture's shape: wide on a desktop, tall on a phone, so names keep a readable size. */
interface Frame {
  readonly w: number;
  readonly h: number;
  readonly rx: number;
  readonly ry: number;
}
const WIDE: Frame = { w: 800, h: 460, rx: 310, ry: 175 };
const TALL: Frame = { w: 400, h: 600, rx: 130, ry: 235 };
const narrowScreen = () => window.matchMedia('(max-width: 700px)').matches;

/** A path an agent reported: to which peer, and whether through a relay. */
interface ReportedPath {
  readonly peerId: string;
  readonly via: 'direct' | 'relay';
}

function pathsOf(d: DeviceOverview): readonly ReportedPath[] | null {
  const paths = (d as { paths?: unknown }).paths;
  return Array.isArray(paths) ? (paths as ReportedPath[]) : null;
}

function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

interface Placed {
  readonly d: DeviceOverview;
  readonly x: number;
  readonly y: number;
}

/** Lighthouses in a row in the middle (a column on a tall frame), the other devices on an ellipse around them. */
export function layout(devices: readonly DeviceOverview[], f: Frame): Placed[] {
  const lighthouses = devices.filter((d) => d.isLighthouse);
  const others = devices.filter((d) => !d.isLighthouse);
  const tall = f.h > f.w;
  const placed: Placed[] = lighthouses.map((d, i) => {
    const offset = (i - (lighthouses.length - 1) / 2) * (tall ? 90 : 150);
    return { d, x: f.w / 2 + (tall ? 0 : offset), y: f.h / 2 + (tall ? offset : 0) };
  });
  others.forEach((d, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / others.length;
    placed.push({ d, x: f.w / 2 + Math.cos(angle) * f.rx, y: f.h / 2 + Math.sin(angle) * f.ry });
  });
  return placed;
}

function stateWord(d: DeviceOverview): string {
  return d.online ? 'online' : 'offline';
}

function picture(live: readonly DeviceOverview[], f: Frame): SVGSVGElement {
  const placed = layout(live, f);
  const at = new Map(placed.map((p) => [p.d.deviceId, p]));
  const lighthouses = placed.filter((p) => p.d.isLighthouse);
  const edges: SVGElement[] = [];
  for (const p of placed) {
    if (p.d.isLighthouse) continue;
    for (const l of lighthouses) edges.push(s('line', { x1: p.x, y1: p.y, x2: l.x, y2: l.y, class: `edge ${p.d.online && l.d.online ? 'edge-up' : 'edge-down'}` }));
    for (const path of pathsOf(p.d) ?? []) {
      const peer = at.get(path.peerId);
      if (peer && p.d.deviceId < path.peerId) edges.push(s('line', { x1: p.x, y1: p.y, x2: peer.x, y2: peer.y, class: `edge edge-${path.via}` }));
    }
  }
  const nodes = placed.map((p) => {
    const cls = `node ${p.d.online ? 'node-online' : 'node-offline'}${p.d.isLighthouse ? ' node-lighthouse' : ''}`;
    const shape = p.d.isLighthouse
      ? s('rect', { x: p.x - 16, y: p.y - 16, width: 32, height: 32, rx: 4, transform: `rotate(45 ${p.x} ${p.y})`, class: cls })
      : s('circle', { cx: p.x, cy: p.y, r: 14, class: cls });
    const folders = foldersOf(p.d);
    const trouble = folders.some((f) => folderHealth(f) === 'error');
    return s('g', { 'data-device': p.d.deviceId },
      s('title', {}, `${p.d.name}: ${stateWord(p.d)}${p.d.isLighthouse ? ', lighthouse and relay' : ''}, ${p.d.ip ?? 'no address'}`),
      shape,
      s('text', { x: p.x, y: p.y + 34, 'text-anchor': 'middle', class: 'node-name' }, p.d.name),
      s('text', { x: p.x, y: p.y + 50, 'text-anchor': 'middle', class: 'node-ip' }, `${p.d.ip ?? ''} · ${stateWord(p.d)}${trouble ? ' · folder error' : ''}`));
  });
  const online = live.filter((d) => d.online).length;
  return s('svg', { viewBox: `0 0 ${f.w} ${f.h}`, role: 'img', 'aria-label': `Network: ${lighthouses.length} lighthouse${lighthouses.length === 1 ? '' : 's'}, ${live.length - lighthouses.length} other devices, ${online} of ${live.length} online. The list below says the same.`, class: 'graph' },
    s('g', { 'aria-hidden': 'true' }, ...edges), s('g', { 'aria-hidden': 'true' }, ...nodes));
}

export function networkTab(): Tab {
  const figure = h('div', { class: 'graph-wrap' });
  const list = h('ul', { class: 'graph-list' });
  const note = h('p', { class: 'muted' });
  const legend = h('ul', { class: 'legend', 'aria-label': 'Legend' },
    h('li', {}, h('span', { class: 'key key-online', 'aria-hidden': 'true' }), 'Filled green circle: online (seen within 2 min)'),
    h('li', {}, h('span', { class: 'key key-offline', 'aria-hidden': 'true' }), 'Hollow grey dashed circle: offline'),
    h('li', {}, h('span', { class: 'key key-lighthouse', 'aria-hidden': 'true' }), 'Diamond: lighthouse (also a relay)'),
    h('li', {}, h('span', { class: 'key key-edge', 'aria-hidden': 'true' }), 'Line: a device finds its peers through this lighthouse (solid when both are online)'));
  const el = h('section', { class: 'network-section', 'aria-labelledby': 'network-heading' },
    h('h2', { id: 'network-heading' }, 'The network'), legend, figure, note, h('h3', {}, 'Every device'), list);
  let key = '';
  let last: ProjectDetail | undefined;
  // Turning a phone (or resizing a window) across the breakpoint redraws in the other frame.
  const media = window.matchMedia('(max-width: 700px)');
  const redraw = () => last && update(last);
  media.addEventListener('change', redraw);
  const update = (detail: ProjectDetail) => {
      last = detail;
      const frame = narrowScreen() ? TALL : WIDE;
      const live = detail.devices.filter((d) => d.state === 'live');
      const next = JSON.stringify([frame.w, live.map((d) => [d.deviceId, d.name, d.ip, d.online, d.isLighthouse, foldersOf(d), pathsOf(d)])]);
      if (next === key) return; // nothing a person could see changed: leave the DOM alone
      key = next;
      if (live.length === 0) {
        mount(figure, h('p', { class: 'empty' }, 'No live device yet: the picture fills as devices register.'));
      } else {
        mount(figure, picture(live, frame));
      }
      const gone = detail.devices.length - live.length;
      const reported = live.some((d) => pathsOf(d) !== null);
      mount(note, [
        live.some((d) => d.isLighthouse) ? '' : 'No lighthouse yet: devices cannot find each other until one registers with `lighthouse` endpoints. ',
        reported ? 'Dotted lines: a relayed path; dashed: a direct one, as the agents report them. ' : 'Whether two devices talk directly or through a relay is not reported by the agents yet, so it is not drawn. ',
        gone > 0 ? `${gone} released or revoked device${gone === 1 ? ' is' : 's are'} left out.` : '',
      ].join(''));
      mount(list, ...live.map((d) => h('li', {}, h('strong', {}, d.name), ` — ${d.ip ?? 'no address'}, ${stateWord(d)}${d.isLighthouse ? ', lighthouse and relay' : ''}`)));
  };
  return { el, update, stop: () => media.removeEventListener('change', redraw) };
}
