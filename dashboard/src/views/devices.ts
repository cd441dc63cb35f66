// A project's devices in a table that sorts by any column and filters by
// text and state. Rows are kept by device id and only the cells that changed
// are written, so a poll flickers nothing and focus stays where it was. The
// relative times ("12 s ago", "29 d left") are refreshed at each tick even
// when the answer was a 304. Owners and admins get a "Manage" button per live
// device (revoke, release, pin an address: views/device-actions.ts), a
// member for their own devices (revoke, release).
import type { DeviceOverview, ProjectDetail } from '../../../client/src/browser.ts';
import { field, h, setAttr, setText } from '../dom.ts';
import { folderHealth, foldersOf, folderText } from '../folders.ts';
import { ago, expiresSoon, shortSyncthingId, timeLeft } from '../format.ts';
import { manageDevice } from './device-actions.ts';
import type { Tab, TabContext } from './tab.ts';
import { canAdminister } from './tab.ts';

type SortKey = 'name' | 'ip' | 'status' | 'certificate' | 'syncthing' | 'versions' | 'folders';
type Show = 'all' | 'online' | 'offline' | 'lighthouses' | 'gone';

const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'name', label: 'Name' },
  { key: 'ip', label: 'Overlay IP' },
  { key: 'status', label: 'Status' },
  { key: 'certificate', label: 'Certificate' },
  { key: 'syncthing', label: 'Syncthing ID' },
  { key: 'versions', label: 'Agent · nebula' },
  { key: 'folders', label: 'Folders' },
];

/** 10.99.3.12 sorts before 10.99.3.100; devices without an address last. */
function ipKey(ip: string | null): number {
  if (ip === null) return Number.MAX_SAFE_INTEGER;
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function compare(a: DeviceOverview, b: DeviceOverview, key: SortKey): number {
  switch (key) {
    case 'name':
      return a.name.localeCompare(b.name);
    case 'ip':
      return ipKey(a.ip) - ipKey(b.ip);
    case 'status':
      // Online first, then the most recently seen.
      return Number(b.online) - Number(a.online) || (b.lastSeenAt ?? '').localeCompare(a.lastSeenAt ?? '');
    case 'certificate':
      return (a.certificate?.notAfter ?? '\uffff').localeCompare(b.certificate?.notAfter ?? '\uffff');
    case 'syncthing':
      return (a.syncthingDeviceId ?? '\uffff').localeCompare(b.syncthingDeviceId ?? '\uffff');
    case 'versions':
      return versionsOf(a).localeCompare(versionsOf(b), undefined, { numeric: true });
    case 'folders':
      // Trouble first: errors, then syncing, then in sync, then devices that report none.
      return folderRank(a) - folderRank(b);
  }
}

function folderRank(d: DeviceOverview): number {
  const folders = foldersOf(d);
  if (folders.length === 0) return 3;
  const health = folders.map(folderHealth);
  return health.includes('error') ? 0 : health.includes('syncing') ? 1 : 2;
}

/** What the device's last heartbeat said it runs: "0.3.1 · 1.9.5", or a dash before its first heartbeat. */
function versionsOf(d: DeviceOverview): string {
  if (d.agentVersion === null && d.nebulaVersion === null) return '—';
  return `${d.agentVersion ?? '?'} · ${d.nebulaVersion ?? '?'}`;
}

function shown(d: DeviceOverview, show: Show, text: string): boolean {
  const byState =
    show === 'all' ||
    (show === 'online' && d.online) ||
    (show === 'offline' && d.state === 'live' && !d.online) ||
    (show === 'lighthouses' && d.isLighthouse) ||
    (show === 'gone' && d.state !== 'live');
  if (!byState) return false;
  if (text === '') return true;
  return [d.name, d.ip ?? '', d.syncthingDeviceId ?? '', d.deviceId].some((v) => v.toLowerCase().includes(text));
}

interface Row {
  readonly tr: HTMLTableRowElement;
  /** `manage`: this viewer may act on this device; `column`: the Actions column is shown at all. */
  update(d: DeviceOverview, now: number, manage: boolean, column: boolean): void;
}

function row(deviceId: string, onManage: (button: HTMLButtonElement) => void): Row {
  const name = h('span', { class: 'device-name' });
  const lighthouse = h('span', { class: 'badge badge-lighthouse' }, 'lighthouse');
  const stateBadge = h('span', { class: 'badge badge-gone' });
  const ip = h('td', { class: 'mono', 'data-label': 'Overlay IP' });
  const dot = h('span', { class: 'dot', 'aria-hidden': 'true' });
  const statusText = h('span');
  const cert = h('td', { 'data-label': 'Certificate' });
  // The short form on screen; the whole ID for screen readers and on hover.
  const syncthingShort = h('span', { 'aria-hidden': 'true' });
  const syncthingFull = h('span', { class: 'visually-hidden' });
  const syncthing = h('td', { class: 'mono', 'data-label': 'Syncthing ID' }, syncthingShort, syncthingFull);
  const versions = h('td', { 'data-label': 'Agent · nebula' });
  const folders = h('td', { 'data-label': 'Folders' });
  const manage = h('button', { type: 'button', class: 'small' }, 'Manage');
  manage.addEventListener('click', () => onManage(manage));
  const actions = h('td', { 'data-label': 'Actions', class: 'actions' }, manage);
  const head = h('th', { scope: 'row', 'data-label': 'Name', tabindex: '-1' }, name, ' ', lighthouse, ' ', stateBadge);
  const tr = h(
    'tr',
    { 'data-device': deviceId },
    head,
    ip,
    h('td', { 'data-label': 'Status' }, h('span', {}, dot, statusText)),
    cert,
    syncthing,
    versions,
    folders,
    actions,
  );
  return {
    tr,
    update(d, now, mayManage, column) {
      setText(name, d.name);
      setAttr(lighthouse, 'hidden', !d.isLighthouse);
      setText(stateBadge, d.state);
      setAttr(stateBadge, 'hidden', d.state === 'live');
      setText(ip, d.ip ?? '—');
      setAttr(dot, 'data-online', d.online);
      setText(statusText, d.online ? `online · seen ${ago(d.lastSeenAt, now)}` : d.state === 'live' ? `offline · seen ${ago(d.lastSeenAt, now)}` : d.state);
      setText(cert, d.state === 'live' ? timeLeft(d.certificate?.notAfter ?? null, now) : '—');
      setAttr(cert, 'class', d.state === 'live' && expiresSoon(d.certificate?.notAfter ?? null, now, 'certificate') ? 'warn' : null);
      setText(syncthingShort, shortSyncthingId(d.syncthingDeviceId));
      setText(syncthingFull, d.syncthingDeviceId ?? 'none');
      setText(versions, versionsOf(d));
      setAttr(syncthing, 'title', d.syncthingDeviceId);
      setAttr(tr, 'data-state', d.state);
      updateFolders(folders, d);
      setAttr(manage, 'aria-label', `Manage ${d.name}`);
      const canAct = mayManage && d.state === 'live';
      // A revoked or released device loses its button; focus that was on it goes to the device's name, not to the page's start.
      if (!canAct && document.activeElement === manage) head.focus();
      setAttr(manage, 'hidden', !canAct);
      setAttr(actions, 'hidden', !column);
    },
  };
}

/** One line per folder, with its health as a word (colour only repeats it). */
function updateFolders(cell: HTMLElement, d: DeviceOverview): void {
  const folders = foldersOf(d);
  const key = JSON.stringify(folders);
  if (cell.dataset.folders === key) return;
  cell.dataset.folders = key;
  if (folders.length === 0) {
    cell.replaceChildren('—');
    return;
  }
  cell.replaceChildren(h('ul', { class: 'folders' }, ...folders.map((f) => h('li', { 'data-health': folderHealth(f) }, folderText(f)))));
}

export function devicesTab(ctx: TabContext): Tab {
  let sortKey: SortKey = 'ip';
  let ascending = true;
  let show: Show = 'all';
  let filterText = '';
  let detail: ProjectDetail | undefined;
  let now = Date.now();

  const filter = h('input', { id: 'device-filter', type: 'search', placeholder: 'name, IP or Syncthing ID', autocomplete: 'off' });
  const showSelect = h('select', { id: 'device-show' },
    h('option', { value: 'all' }, 'All devices'),
    h('option', { value: 'online' }, 'Online'),
    h('option', { value: 'offline' }, 'Offline'),
    h('option', { value: 'lighthouses' }, 'Lighthouses'),
    h('option', { value: 'gone' }, 'Released or revoked'));
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  const headButtons = new Map<SortKey, { th: HTMLTableCellElement; button: HTMLButtonElement }>();
  const headRow = h('tr', {});
  for (const c of COLUMNS) {
    const button = h('button', { type: 'button', class: 'sort' }, c.label, h('span', { class: 'sort-mark', 'aria-hidden': 'true' }));
    button.addEventListener('click', () => {
      if (sortKey === c.key) ascending = !ascending;
      else (sortKey = c.key), (ascending = true);
      render();
    });
    const th = h('th', { scope: 'col' }, button);
    headButtons.set(c.key, { th, button });
    headRow.append(th);
  }
  const actionsHead = h('th', { scope: 'col', class: 'actions-head' }, h('span', { class: 'visually-hidden' }, 'Actions'));
  headRow.append(actionsHead);
  const tbody = h('tbody');
  const noneYet = h('p', { class: 'empty', hidden: true },
    'No device has joined yet. A device joins with the desktop app, or from a terminal: ',
    h('code', {}, `vidsync device register -project ${ctx.projectId} -name NAME`), '.');
  const noneMatch = h('p', { class: 'empty', hidden: true }, 'No device matches the filter.');
  const table = h('table', { class: 'devices' }, h('caption', { class: 'visually-hidden' }, 'Devices'), h('thead', {}, headRow), tbody);
  const controls = h('div', { class: 'controls' },
    field('Filter', filter),
    field('Show', showSelect));
  filter.addEventListener('input', () => ((filterText = filter.value.trim().toLowerCase()), render()));
  showSelect.addEventListener('change', () => ((show = showSelect.value as Show), render()));
  const el = h('section', { class: 'devices-section', 'aria-labelledby': 'devices-heading' },
    h('h2', { id: 'devices-heading' }, 'Devices'), controls, count, h('div', { class: 'table-wrap' }, table), noneYet, noneMatch);

  const rows = new Map<string, Row>();
  const onManage = (deviceId: string) => (button: HTMLButtonElement) => {
    const d = detail?.devices.find((x) => x.deviceId === deviceId);
    if (d && detail) manageDevice(ctx, detail.project, d, button, canAdminister(detail));
  };
  const render = () => {
    if (!detail) return;
    const admin = canAdminister(detail);
    const mine = (d: DeviceOverview) => ctx.userId !== null && d.ownerId === ctx.userId;
    const column = admin || detail.devices.some((d) => mine(d) && d.state === 'live');
    for (const [key, { th, button }] of headButtons) {
      const active = key === sortKey;
      setAttr(th, 'aria-sort', active ? (ascending ? 'ascending' : 'descending') : null);
      setText(button.lastElementChild!, active ? (ascending ? ' ▲' : ' ▼') : '');
    }
    setAttr(actionsHead, 'hidden', !column);
    const visible = detail.devices.filter((d) => shown(d, show, filterText));
    visible.sort((a, b) => (ascending ? 1 : -1) * compare(a, b, sortKey) || a.deviceId.localeCompare(b.deviceId));
    for (const d of detail.devices) {
      let r = rows.get(d.deviceId);
      if (!r) rows.set(d.deviceId, (r = row(d.deviceId, onManage(d.deviceId))));
      r.update(d, now, admin || mine(d), column);
    }
    for (const id of [...rows.keys()]) if (!detail.devices.some((d) => d.deviceId === id)) rows.delete(id);
    const order = visible.map((d) => rows.get(d.deviceId)!.tr);
    // Touch the body only when the order changed.
    if (order.length !== tbody.children.length || order.some((tr, i) => tbody.children[i] !== tr)) {
      // Re-inserting a row blurs what had focus in it: give it back once the rows stand in their new order.
      const focused = tbody.contains(document.activeElement) ? (document.activeElement as HTMLElement) : null;
      tbody.replaceChildren(...order);
      if (focused?.isConnected && document.activeElement !== focused) focused.focus({ preventScroll: true });
    }
    const total = detail.devices.length;
    setText(count, visible.length === total ? `${total} device${total === 1 ? '' : 's'}` : `${visible.length} of ${total} devices`);
    setAttr(noneYet, 'hidden', total > 0);
    setAttr(noneMatch, 'hidden', total === 0 || visible.length > 0);
    setAttr(table, 'hidden', visible.length === 0);
  };

  return {
    el,
    update(d, at) {
      detail = d;
      now = at;
      render();
    },
  };
}
