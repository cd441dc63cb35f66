// Your projects: one card each with your role, the subnet, the address pool
// (used / cooling / free), live devices and the CA's expiry. Polled with the
// list's ETag; cards are kept by project id and only their changed text is
// touched.
import { listProjects } from '../../../client/src/browser.ts';
import type { ProjectOverview } from '../../../client/src/browser.ts';
import type { SupabaseClient } from '@supabase/supabase-js';
import { h, mount, setAttr, setText } from '../dom.ts';
import { errorBox } from '../errors.ts';
import { expiresSoon, timeLeft } from '../format.ts';
import { Poller } from '../poll.ts';
import { createProjectBox } from './create-project.ts';
import { joinBox } from './join.ts';
import { poolBar } from './pool-bar.ts';
import { takeNotice } from '../notice.ts';

interface Card {
  readonly li: HTMLLIElement;
  update(p: ProjectOverview, now: number): void;
}

function card(projectId: string): Card {
  const name = h('a', { href: `#/projects/${projectId}`, class: 'card-title' });
  const role = h('span', { class: 'badge' });
  const subnet = h('dd', { class: 'mono' });
  const devices = h('dd');
  const ca = h('dd');
  const pool = poolBar();
  const li = h(
    'li',
    { class: 'card', 'data-project': projectId },
    h('div', { class: 'card-head' }, name, role),
    h('dl', { class: 'facts' }, h('dt', {}, 'Subnet'), subnet, h('dt', {}, 'Devices'), devices, h('dt', {}, 'CA expires'), ca),
    pool.el,
  );
  return {
    li,
    update(p, now) {
      setText(name, p.name);
      setText(role, p.role ?? 'service');
      setAttr(role, 'data-role', p.role);
      setText(subnet, p.subnet);
      setText(devices, String(p.devices));
      setText(ca, timeLeft(p.ca?.notAfter ?? null, now));
      setAttr(ca, 'class', expiresSoon(p.ca?.notAfter ?? null, now, 'ca') ? 'warn' : null);
      pool.update(p.pool);
    },
  };
}

export function projectsView(root: HTMLElement, supabase: SupabaseClient): () => void {
  const list = h('ul', { class: 'cards', 'aria-label': 'Projects' });
  const status = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Loading…');
  const errorSlot = h('div');
  const poke = () => poller.poke();
  const notice = takeNotice((text) => h('div', { class: 'notice', role: 'status' }, text));
  mount(root, h('h1', { tabindex: '-1' }, 'Your projects'), notice, status, errorSlot, list, h('div', { class: 'create-join' }, createProjectBox(supabase, poke), joinBox(supabase, poke)));
  const cards = new Map<string, Card>();
  let etag: string | undefined;
  let projects: ProjectOverview[] = [];

  const render = () => {
    const now = Date.now();
    for (const p of projects) {
      let c = cards.get(p.projectId);
      if (!c) cards.set(p.projectId, (c = card(p.projectId)));
      c.update(p, now);
    }
    for (const [id, c] of cards) if (!projects.some((p) => p.projectId === id)) (c.li.remove(), cards.delete(id));
    const order = projects.map((p) => cards.get(p.projectId)!.li);
    if (order.some((li, i) => list.children[i] !== li)) list.replaceChildren(...order);
    setText(status, projects.length === 0 ? 'You are in no project yet: create one or join one with a code below.' : `${projects.length} project${projects.length === 1 ? '' : 's'}`);
  };

  const poller = new Poller(async () => {
    try {
      const answer = await listProjects(supabase, etag);
      etag = answer.etag;
      if (answer.changed) projects = answer.data.projects;
      mount(errorSlot);
      render();
    } catch (error) {
      mount(errorSlot, errorBox(error, 'Loading your projects'));
      if (projects.length === 0) setText(status, '');
    }
  }).start();
  return () => poller.stop();
}
