// One project: its facts (role, subnet, pool, CA expiry) above tabs for its
// devices, the network's picture, its people, its audit log and its
// settings. The shell polls GET /projects/:projectId with its ETag every few
// seconds for all tabs and hands each answer to the tab on screen; an action
// pokes the poll so its effect shows at once.
import { getProject, isVidsyncError } from '../../../client/src/browser.ts';
import type { ProjectDetail } from '../../../client/src/browser.ts';
import type { SupabaseClient } from '@supabase/supabase-js';
import { h, mount, setAttr, setText } from '../dom.ts';
import { errorBox } from '../errors.ts';
import { expiresSoon, timeLeft } from '../format.ts';
import { Poller } from '../poll.ts';
import { auditTab } from './audit.ts';
import { devicesTab } from './devices.ts';
import { networkTab } from './network.ts';
import { peopleTab } from './people.ts';
import { poolBar } from './pool-bar.ts';
import { settingsTab } from './settings.ts';
import type { Tab, TabContext } from './tab.ts';
import { canAdminister } from './tab.ts';

export const TABS = [
  { key: 'devices', label: 'Devices', make: devicesTab, adminOnly: false },
  { key: 'network', label: 'Network', make: networkTab, adminOnly: false },
  { key: 'people', label: 'People', make: peopleTab, adminOnly: false },
  { key: 'audit', label: 'Audit log', make: auditTab, adminOnly: true },
  { key: 'settings', label: 'Settings', make: settingsTab, adminOnly: true },
] as const;
export type TabKey = (typeof TABS)[number]['key'];

export function isTabKey(key: string): key is TabKey {
  return TABS.some((t) => t.key === key);
}

export function projectView(root: HTMLElement, supabase: SupabaseClient, userId: string | null, projectId: string, tabKey: TabKey): () => void {
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
  const base = `#/projects/${encodeURIComponent(projectId)}`;
  const links = TABS.map((t) => {
    const a = h('a', { href: t.key === 'devices' ? base : `${base}/${t.key}`, 'aria-current': t.key === tabKey ? 'page' : null }, t.label);
    return { tab: t, li: h('li', {}, a) };
  });
  const nav = h('nav', { class: 'tabs', 'aria-label': 'Project sections', hidden: true }, h('ul', {}, ...links.map((l) => l.li)));

  const ctx: TabContext = {
    supabase,
    projectId,
    userId,
    refresh: () => poller.poke(),
    leave: () => {
      location.hash = '#/';
    },
  };
  const tabDef = TABS.find((t) => t.key === tabKey)!;
  const tab: Tab = tabDef.make(ctx);
  const panel = h('div', { class: 'tab-panel', hidden: true }, tab.el);
  mount(root, h('nav', { 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, '← Your projects')), title, errorSlot, facts, nav, panel);

  const render = () => {
    if (!detail) return;
    const now = Date.now();
    const p = detail.project;
    setText(title, p.name);
    document.title = `${tabDef.label} · ${p.name} · VidSync`;
    setText(role, p.role ?? 'service role');
    setText(subnet, p.subnet);
    setText(ca, timeLeft(p.ca?.notAfter ?? null, now));
    setAttr(ca, 'class', expiresSoon(p.ca?.notAfter ?? null, now, 'ca') ? 'warn' : null);
    pool.update(p.pool);
    const admin = canAdminister(detail);
    for (const l of links) setAttr(l.li, 'hidden', l.tab.adminOnly && !admin);
    setAttr(facts, 'hidden', false);
    setAttr(nav, 'hidden', false);
    setAttr(panel, 'hidden', false);
    tab.update(detail, now);
  };

  const poller = new Poller(async () => {
    try {
      const answer = await getProject(supabase, projectId, etag);
      etag = answer.etag;
      if (answer.changed) detail = answer.data;
      mount(errorSlot);
    } catch (error) {
      if (isVidsyncError(error, 'not_found')) return gone(error);
      mount(errorSlot, errorBox(error, 'Loading this project'));
      if (!detail) setText(title, 'Project');
    }
    render();
  }).start();

  // Deleted, or the user is no longer a member: nothing of it stays on screen, and the poll stops.
  function gone(error: unknown): void {
    poller.stop();
    tab.stop?.();
    detail = undefined;
    for (const part of [facts, nav]) setAttr(part, 'hidden', true);
    mount(panel);
    setText(title, 'Project not found');
    document.title = 'Project not found · VidSync';
    mount(errorSlot, errorBox(error, 'Loading this project'),
      h('p', {}, 'This project does not exist (any more), or you are not one of its members. ', h('a', { href: '#/' }, 'Back to your projects')));
  }
  return () => {
    poller.stop();
    tab.stop?.();
  };
}
