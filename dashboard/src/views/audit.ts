// The project's audit log (owners and admins): newest first, filtered by
// action and by device on the server (so every page is full), older pages
// with "Load more". Device ids read as the devices' names; the signed-in
// user reads as "you". When the project changes (a poll brought news) and
// only the first page is on screen, the first page is read again, so an
// action shows up here without a reload.
import { listAudit } from '../../../client/src/browser.ts';
import type { AuditEntry, ProjectDetail } from '../../../client/src/browser.ts';
import { field, h, mount, setAttr, setText } from '../dom.ts';
import { errorBox } from '../errors.ts';
import { ago } from '../format.ts';
import type { Tab, TabContext } from './tab.ts';
import { selfLoadingTab } from './tab.ts';

/** The actions app.ts writes (its ROUTES table); others seen in the log are added to the list as they appear. */
export const KNOWN_ACTIONS = [
  'project.create', 'project.delete', 'ca.import', 'ca.rotate', 'ca.retire',
  'device.register', 'device.enroll', 'device.renew', 'device.release', 'device.revoke', 'device.address', 'device.credential', 'device.syncthing',
  'invite.create', 'invite.revoke', 'member.join', 'member.remove', 'member.role',
];
const PAGE = 50;

export function auditTab(ctx: TabContext): Tab {
  let detail: ProjectDetail | undefined;
  let entries: AuditEntry[] = [];
  let nextBefore: string | null = null;
  let loading = false;
  let generation = 0;

  const action = h('select', { id: 'audit-action' }, h('option', { value: '' }, 'Any action'), ...KNOWN_ACTIONS.map((a) => h('option', { value: a }, a)));
  const device = h('select', { id: 'audit-device' }, h('option', { value: '' }, 'Any device'));
  const newest = h('button', { type: 'button' }, 'Show newest');
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const status = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Loading…');
  const errorSlot = h('div');
  const tbody = h('tbody');
  const table = h('table', { class: 'audit', hidden: true },
    h('caption', { class: 'visually-hidden' }, 'Audit log, newest first'),
    h('thead', {}, h('tr', {}, ...['When', 'Action', 'Result', 'Who', 'Device', 'Source IP', 'Request'].map((c) => h('th', { scope: 'col' }, c)))),
    tbody);
  const el = h('section', { class: 'audit-section', 'aria-labelledby': 'audit-heading' },
    h('h2', { id: 'audit-heading' }, 'Audit log'),
    h('div', { class: 'controls' },
      field('Action', action),
      field('Device', device),
      h('div', { class: 'field' }, newest)),
    errorSlot, status, h('div', { class: 'table-wrap' }, table), h('div', { class: 'buttons' }, more));

  const deviceName = (id: string | null) => {
    if (id === null) return '—';
    return detail?.devices.find((d) => d.deviceId === id)?.name ?? `device ${id.slice(0, 8)}`;
  };
  const actorText = (e: AuditEntry) => {
    if (e.actor.kind === 'user') return e.actor.id !== null && e.actor.id === ctx.userId ? 'you' : `user ${e.actor.id?.slice(0, 8) ?? '?'}`;
    if (e.actor.kind === 'device') return deviceName(e.actor.id);
    return e.actor.kind === 'service' ? 'service role' : 'anonymous';
  };
  const rowOf = (e: AuditEntry, now: number) =>
    h('tr', { 'data-action': e.action, 'data-result': e.result },
      h('td', { 'data-label': 'When' }, h('span', {}, h('time', { datetime: e.at, title: e.at }, new Date(e.at).toLocaleString()), h('span', { class: 'muted' }, ` · ${ago(e.at, now)}`))),
      h('td', { 'data-label': 'Action', class: 'mono' }, e.action),
      h('td', { 'data-label': 'Result' }, e.result === 'ok' ? h('span', { class: 'badge badge-ok' }, `ok · ${e.httpStatus}`) : h('span', { class: 'badge badge-refused' }, `${e.result} · ${e.httpStatus}`)),
      h('td', { 'data-label': 'Who' }, actorText(e)),
      h('td', { 'data-label': 'Device' }, deviceName(e.deviceId)),
      h('td', { 'data-label': 'Source IP', class: 'mono' }, e.sourceIp ?? '—'),
      h('td', { 'data-label': 'Request', class: 'mono', title: e.requestId }, e.requestId.slice(0, 8)));

  const draw = () => {
    const now = Date.now();
    tbody.replaceChildren(...entries.map((e) => rowOf(e, now)));
    setAttr(table, 'hidden', entries.length === 0);
    setAttr(more, 'hidden', nextBefore === null);
    const filtered = action.value !== '' || device.value !== '';
    setText(status, entries.length === 0 ? (filtered ? 'No entry matches the filter.' : 'No entry yet.') : `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}${nextBefore ? ' (more below)' : ''}`);
    for (const e of entries) {
      if (![...action.options].some((o) => o.value === e.action)) action.append(h('option', { value: e.action }, e.action));
    }
  };

  /** Reads a page: the first (replacing what is shown) or the next older one. */
  const load = async (older: boolean) => {
    const mine = older ? generation : ++generation;
    loading = true;
    more.disabled = true;
    try {
      const page = await listAudit(ctx.supabase, ctx.projectId, {
        before: older ? nextBefore : null,
        limit: PAGE,
        action: action.value || null,
        deviceId: device.value || null,
      });
      if (mine !== generation) return; // a newer filter's answer wins
      entries = older ? [...entries, ...page.entries] : [...page.entries];
      nextBefore = page.nextBefore;
      mount(errorSlot);
      draw();
    } catch (error) {
      if (mine !== generation) return;
      mount(errorSlot, errorBox(error, 'Loading the audit log'));
      setText(status, '');
    } finally {
      loading = false;
      more.disabled = false;
    }
  };
  action.addEventListener('change', () => void load(false));
  device.addEventListener('change', () => void load(false));
  newest.addEventListener('click', () => void load(false));
  more.addEventListener('click', () => void load(true));

  return selfLoadingTab(el, (d, kind) => {
    detail = d;
    const options = [...device.options].slice(1);
    const wanted = d.devices.map((x) => `${x.deviceId}\u0000${x.name}${x.state === 'live' ? '' : ` (${x.state})`}`);
    if (options.map((o) => `${o.value}\u0000${o.textContent}`).join('\n') !== wanted.join('\n')) {
      const chosen = device.value;
      device.replaceChildren(device.options[0]!, ...d.devices.map((x) => h('option', { value: x.deviceId }, `${x.name}${x.state === 'live' ? '' : ` (${x.state})`}`)));
      device.value = chosen;
    }
    if (kind === 'first' || (kind === 'changed' && !loading && entries.length <= PAGE)) void load(false);
  });
}
