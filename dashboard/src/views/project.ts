// One project: its facts (role, subnet, pool, CA expiry) and its devices in a
// table that sorts by any column and filters by text and state. Polled with
// the project's ETag every few seconds; rows are kept by device id and only
// the cells that changed are written, so nothing flickers and focus stays
// where it was. The relative times ("12 s ago", "29 d left") are refreshed
// at each tick even when the answer is a 304.
import { getProject } from '../../../client/src/browser.ts';
import type { DeviceOverview, ProjectDetail } from '../../../client/src/browser.ts';
import type { SupabaseClient } from '@supabase/supabase-js';
import { h, mount, setAttr, setText } from '../dom.ts';
import { errorBox } from '../errors.ts';
import { ago, expiresSoon, shortSyncthingId, timeLeft } from '../format.ts';
import { Poller } from '../poll.ts';
import { poolBar } from './pool-bar.ts';

type SortKey = 'name' | 'ip' | 'status' | 'certificate' | 'syncthing' | 'versions';
type Show = 'all' | 'online' | 'offline' | 'lighthouses' | 'gone';

const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'name', label: 'Name' },
  { key: 'ip', label: 'Overlay IP' },
  { key: 'status', label: 'Status' },
  { key: 'certificate', label: 'Certificate' },
  { key: 'syncthing', label: 'Syncthing ID' },
  { key: 'versions', label: 'Agent · nebula' },
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
  }
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
  update(d: DeviceOverview, now: number): void;
}

function row(deviceId: string): Row {
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
  const tr = h(
    'tr',
    { 'data-device': deviceId },
    h('th', { scope: 'row', 'data-label': 'Name' }, name, ' ', lighthouse, ' ', stateBadge),
    ip,
    h('td', { 'data-label': 'Status' }, h('span', {}, dot, statusText)),
    cert,
    syncthing,
    versions,
  );
  return {
    tr,
    update(d, now) {
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
    },
  };
}

export function projectView(root: HTMLElement, supabase: SupabaseClient, projectId: string): () => void {
  let sortKey: SortKey = 'ip';
  let ascending = true;
  let show: Show = 'all';
  let filterText = '';
  let detail: ProjectDetail | undefined;
  let etag: string | undefined;

  const title = h('h1', { tabindex: '-1' }, 'Project');
  const role = h('dd');
  const subnet = h('dd', { class: 'mono' });
  const ca = h('dd');
  const pool = poolBar();
  const facts = h('section', { class: 'summary', hidden: true, 'aria-label': 'Project summary' },
    h('dl', { class: 'facts' }, h('dt', {}, 'Your role'), role, h('dt', {}, 'Subnet'), subnet, h('dt', {}, 'CA expires'), ca),
    pool.el);
  const errorSlot = h('div');
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
  const tbody = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true });
  const table = h('table', { class: 'devices' }, h('caption', { class: 'visually-hidden' }, 'Devices'), h('thead', {}, headRow), tbody);
  const controls = h('div', { class: 'controls' },
    h('div', { class: 'field' }, h('label', { for: 'device-filter' }, 'Filter'), filter),
    h('div', { class: 'field' }, h('label', { for: 'device-show' }, 'Show'), showSelect));
  filter.addEventListener('input', () => ((filterText = filter.value.trim().toLowerCase()), render()));
  showSelect.addEventListener('change', () => ((show = showSelect.value as Show), render()));

  const devicesSection = h('section', { class: 'devices-section', 'aria-labelledby': 'devices-heading', hidden: true },
    h('h2', { id: 'devices-heading' }, 'Devices'), controls, count, h('div', { class: 'table-wrap' }, table), empty);
  mount(root,
    h('nav', { 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, '← Your projects')),
    title, errorSlot, facts,
    devicesSection);

  const rows = new Map<string, Row>();
  const render = () => {
    if (!detail) return;
    const now = Date.now();
    const p = detail.project;
    setText(title, p.name);
    document.title = `${p.name} · VidSync`;
    setText(role, p.role ?? 'service role');
    setText(subnet, p.subnet);
    setText(ca, timeLeft(p.ca?.notAfter ?? null, now));
    setAttr(ca, 'class', expiresSoon(p.ca?.notAfter ?? null, now, 'ca') ? 'warn' : null);
    pool.update(p.pool);
    setAttr(facts, 'hidden', false);
    setAttr(devicesSection, 'hidden', false);

    for (const [key, { th, button }] of headButtons) {
      const active = key === sortKey;
      setAttr(th, 'aria-sort', active ? (ascending ? 'ascending' : 'descending') : null);
      setText(button.lastElementChild!, active ? (ascending ? ' ▲' : ' ▼') : '');
    }
    const visible = detail.devices.filter((d) => shown(d, show, filterText));
    visible.sort((a, b) => (ascending ? 1 : -1) * compare(a, b, sortKey) || a.deviceId.localeCompare(b.deviceId));
    for (const d of detail.devices) {
      let r = rows.get(d.deviceId);
      if (!r) rows.set(d.deviceId, (r = row(d.deviceId)));
      r.update(d, now);
    }
    for (const id of [...rows.keys()]) if (!detail.devices.some((d) => d.deviceId === id)) rows.delete(id);
    const order = visible.map((d) => rows.get(d.deviceId)!.tr);
    // Moving a row would take focus from a link in it: touch the body only when the order changed.
    if (order.length !== tbody.children.length || order.some((tr, i) => tbody.children[i] !== tr)) tbody.replaceChildren(...order);
    const total = detail.devices.length;
    setText(count, visible.length === total ? `${total} device${total === 1 ? '' : 's'}` : `${visible.length} of ${total} devices`);
    setAttr(empty, 'hidden', visible.length > 0);
    setText(empty, total === 0 ? 'No device has joined yet. A device joins with `vidsync device register` or the desktop app.' : 'No device matches the filter.');
    setAttr(table, 'hidden', visible.length === 0);
  };

  const poller = new Poller(async () => {
    try {
      const answer = await getProject(supabase, projectId, etag);
      etag = answer.etag;
      if (answer.changed) detail = answer.data;
      mount(errorSlot);
    } catch (error) {
      mount(errorSlot, errorBox(error, 'Loading this project'));
      if (!detail) setText(title, 'Project');
    }
    render();
  }).start();
  return () => poller.stop();
}
