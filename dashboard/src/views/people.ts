// A project's people: its members with their roles and live devices (owners
// and admins change roles and remove members; anyone may leave), and its
// invites (owners and admins: create one with a role, a number of uses and
// an expiry — its code is shown once, with a copy button —, list, revoke).
// Removing someone says first what happens to their devices.
import { createInvite, listInvites, listMembers, removeMember, revokeInvite, setMemberRole } from '../../../client/src/browser.ts';
import type { Invite, Member, MemberRole, ProjectDetail } from '../../../client/src/browser.ts';
import { confirmAction } from '../dialog.ts';
import { field, h, mount, setText } from '../dom.ts';
import { errorBox } from '../errors.ts';
import { ago, timeLeft } from '../format.ts';
import type { Tab, TabContext } from './tab.ts';
import { canAdminister, selfLoadingTab } from './tab.ts';

/** A member as the page shows them; `email` only if the server one day sends it. */
type MemberRow = Member & { readonly email?: string | null };
type InviteRow = Invite;

const EXPIRIES: [number, string][] = [
  [3600, '1 hour'],
  [86400, '1 day'],
  [7 * 86400, '7 days'],
  [30 * 86400, '30 days'],
];

export function inviteStatus(i: InviteRow, now: number): string {
  if (i.revokedAt !== null) return 'revoked';
  if (Date.parse(i.expiresAt) <= now) return 'expired';
  if (i.uses >= i.maxUses) return 'used up';
  return `active · ${timeLeft(i.expiresAt, now)}`;
}

export function peopleTab(ctx: TabContext): Tab {
  let detail: ProjectDetail | undefined;
  let members: MemberRow[] = [];
  let invites: InviteRow[] = [];
  const membersError = h('div');
  const membersBody = h('tbody');
  const membersStatus = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Loading…');
  const membersPanel = h('section', { class: 'panel', 'aria-labelledby': 'members-heading' },
    h('h2', { id: 'members-heading' }, 'Members'), membersStatus, membersError,
    h('table', { class: 'plain members' },
      h('caption', { class: 'visually-hidden' }, 'Members'),
      h('thead', {}, h('tr', {}, ...['Member', 'Role', 'Devices', 'Joined', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
      membersBody));

  // Invites (owners and admins).
  const role = h('select', { id: 'invite-role' }, h('option', { value: 'member' }, 'member'), h('option', { value: 'admin' }, 'admin'));
  const uses = h('input', { id: 'invite-uses', type: 'number', min: 1, max: 1000, value: 1, required: true });
  const expiry = h('select', { id: 'invite-expiry' }, ...EXPIRIES.map(([s, label]) => h('option', { value: s, selected: s === 7 * 86400 }, label)));
  const created = h('div', { 'aria-live': 'polite' });
  /** The invite whose code `created` shows (once), so revoking it takes the code off the page too. */
  let shownInviteId: string | undefined;
  const invitesError = h('div');
  const invitesBody = h('tbody');
  const invitesStatus = h('p', { class: 'muted' });
  const createForm = h('form', { class: 'inline-form', 'aria-label': 'Create an invite' },
    field('Role', role),
    field('Uses', uses),
    field('Expires after', expiry),
    h('div', { class: 'field' }, h('button', { type: 'submit', class: 'primary' }, 'Create invite')));
  const invitesPanel = h('section', { class: 'panel', 'aria-labelledby': 'invites-heading', hidden: true },
    h('h2', { id: 'invites-heading' }, 'Invites'),
    h('p', { class: 'muted' }, 'Whoever has the code joins with its role, until it is used up, expires or is revoked. The code is shown once.'),
    createForm, invitesError, created, invitesStatus,
    h('table', { class: 'plain invites' },
      h('caption', { class: 'visually-hidden' }, 'Invites'),
      h('thead', {}, h('tr', {}, ...['Role', 'Used', 'Status', 'Created', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
      invitesBody));
  const el = h('div', { class: 'people' }, membersPanel, invitesPanel);

  const nameOf = (m: MemberRow) => (m.userId === ctx.userId ? 'you' : (m.email ?? `user ${m.userId.slice(0, 8)}`));
  const myRole = () => detail?.project.role ?? null;

  const drawMembers = () => {
    const now = Date.now();
    const admin = detail ? canAdminister(detail) : false;
    setText(membersStatus, `${members.length} member${members.length === 1 ? '' : 's'}`);
    membersBody.replaceChildren(...members.map((m) => {
      const me = m.userId === ctx.userId;
      // An admin may not touch an owner; the server decides, this only hides what would be refused.
      const mayChange = admin && !me && (myRole() !== 'admin' || m.role !== 'owner');
      let roleCell: HTMLElement;
      if (mayChange) {
        const id = `role-${m.userId}`;
        const select = h('select', { id, 'aria-label': `Role of ${nameOf(m)}` },
          ...(['owner', 'admin', 'member'] as const).filter((r) => r !== 'owner' || myRole() !== 'admin').map((r) => h('option', { value: r, selected: r === m.role }, r)));
        select.addEventListener('change', () => void changeRole(m, select));
        roleCell = h('td', { 'data-label': 'Role' }, select);
      } else {
        roleCell = h('td', { 'data-label': 'Role' }, h('span', { class: 'badge', 'data-role': m.role }, m.role));
      }
      const remove = me || mayChange
        ? h('button', { type: 'button', class: 'small', onclick: (e: Event) => removeWho(m, e.currentTarget as HTMLElement) }, me ? 'Leave project' : `Remove ${nameOf(m)}`)
        : null;
      return h('tr', { 'data-member': m.userId },
        h('th', { scope: 'row', class: 'mono' }, nameOf(m), me ? null : h('span', { class: 'visually-hidden' }, ` (${m.userId})`)),
        roleCell,
        h('td', { 'data-label': 'Devices' }, String(m.devices)),
        h('td', { 'data-label': 'Joined', 'data-since': m.joinedAt }, ago(m.joinedAt, now)),
        h('td', { 'data-label': 'Actions' }, remove ?? '—'));
    }));
  };

  const drawInvites = () => {
    const now = Date.now();
    setText(invitesStatus, invites.length === 0 ? 'No invite yet.' : '');
    invitesBody.replaceChildren(...invites.map((i) => {
      const status = inviteStatus(i, now);
      const revoke = status.startsWith('active')
        ? h('button', { type: 'button', class: 'small', onclick: (e: Event) => revokeOne(i, e.currentTarget as HTMLElement) }, 'Revoke invite')
        : null;
      return h('tr', { 'data-invite': i.inviteId },
        h('td', { 'data-label': 'Role' }, i.role),
        h('td', { 'data-label': 'Used' }, `${i.uses} of ${i.maxUses}`),
        h('td', { 'data-label': 'Status', 'data-invite-status': i.inviteId }, status),
        h('td', { 'data-label': 'Created', 'data-since': i.createdAt }, ago(i.createdAt, now)),
        h('td', { 'data-label': 'Actions' }, revoke ?? '—'));
    }));
  };

  /**
   * Between reloads, the times move on in place ("joined 3 min ago", an
   * invite's time left), touching nothing else; an invite that stops being
   * active (it expired) is drawn again, without its Revoke button.
   */
  const tick = (now: number) => {
    for (const cell of el.querySelectorAll<HTMLElement>('[data-since]')) setText(cell, ago(cell.dataset.since ?? null, now));
    for (const cell of el.querySelectorAll<HTMLElement>('[data-invite-status]')) {
      const invite = invites.find((i) => i.inviteId === cell.dataset.inviteStatus);
      if (!invite) continue;
      const status = inviteStatus(invite, now);
      if (status.startsWith('active') !== (cell.textContent ?? '').startsWith('active')) return drawInvites();
      setText(cell, status);
    }
  };

  /** Reads one of the tab's lists again: drawn on success, else the failure shown in its error slot. */
  const reload = async <T>(read: () => Promise<readonly T[]>, draw: (rows: T[]) => void, errorSlot: HTMLElement, failing: string) => {
    try {
      const rows = [...(await read())];
      mount(errorSlot);
      draw(rows);
    } catch (error) {
      mount(errorSlot, errorBox(error, failing));
    }
  };
  const loadMembers = () => reload(() => listMembers(ctx.supabase, ctx.projectId), (rows) => { members = rows; drawMembers(); }, membersError, 'Loading the members');
  const loadInvites = () => reload(() => listInvites(ctx.supabase, ctx.projectId), (rows) => { invites = rows; drawInvites(); }, invitesError, 'Loading the invites');

  const changeRole = async (m: MemberRow, select: HTMLSelectElement) => {
    try {
      await setMemberRole(ctx.supabase, ctx.projectId, m.userId, select.value as MemberRole);
      mount(membersError);
      ctx.refresh();
    } catch (error) {
      select.value = m.role;
      mount(membersError, errorBox(error, `Changing the role of ${nameOf(m)}`));
    }
    await loadMembers();
  };

  const removeWho = (m: MemberRow, opener: HTMLElement) => {
    const me = m.userId === ctx.userId;
    const devices = m.devices === 0 ? 'They have no device in this project.' : `Their ${m.devices} device${m.devices === 1 ? ' is' : 's are'} revoked at once: certificates onto the blocklist, addresses released. ${m.devices === 1 ? 'It' : 'They'} can never rejoin with the same device id.`;
    void confirmAction({
      title: me ? `Leave ${detail?.project.name ?? 'this project'}?` : `Remove ${nameOf(m)}?`,
      consequence: [
        me ? devices.replace('Their', 'Your').replace('They have', 'You have') : devices,
        me ? 'You lose access to the project; an owner or admin can invite you again.' : `${nameOf(m)} loses access to the project and can no longer register devices in it. An invite can bring them back.`,
      ],
      confirmLabel: me ? 'Leave project' : `Remove ${nameOf(m)}`,
      returnFocusTo: opener,
      run: async () => {
        await removeMember(ctx.supabase, ctx.projectId, m.userId);
        if (me) ctx.leave();
        else {
          ctx.refresh();
          await loadMembers();
        }
      },
    });
  };

  const revokeOne = (i: InviteRow, opener: HTMLElement) => {
    void confirmAction({
      title: 'Revoke this invite?',
      consequence: [`Its code stops working now (${i.uses} of ${i.maxUses} uses taken). People who already joined with it stay members.`],
      confirmLabel: 'Revoke invite',
      returnFocusTo: opener,
      run: async () => {
        await revokeInvite(ctx.supabase, ctx.projectId, i.inviteId);
        if (shownInviteId === i.inviteId) mount(created);
        await loadInvites();
      },
    });
  };

  createForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      mount(invitesError);
      mount(created);
      try {
        const invite = await createInvite(ctx.supabase, ctx.projectId, { role: role.value as 'admin' | 'member', maxUses: Number(uses.value), expiresInSeconds: Number(expiry.value) });
        const copy = h('button', { type: 'button' }, 'Copy code');
        const code = h('p', { class: 'code mono', id: 'invite-code' }, invite.code);
        copy.addEventListener('click', () => {
          void navigator.clipboard?.writeText(invite.code).then(
            () => setText(copy, 'Copied'),
            () => {
              // No clipboard permission: select the code, so Ctrl+C copies it.
              getSelection()?.selectAllChildren(code);
              setText(copy, 'Selected: press Ctrl+C');
            },
          );
        });
        mount(created, h('div', { class: 'code-once', role: 'status' },
          h('p', {}, h('strong', {}, 'The invite’s code — shown only now: '), `${invite.role}, ${invite.maxUses} use${invite.maxUses === 1 ? '' : 's'}, expires ${new Date(invite.expiresAt).toLocaleString()}.`),
          code,
          h('div', { class: 'buttons' }, copy)));
        shownInviteId = invite.inviteId;
        copy.focus();
        await loadInvites();
      } catch (error) {
        mount(invitesError, errorBox(error, 'Creating the invite'));
      }
    })();
  });

  return selfLoadingTab(el, (d, kind) => {
    detail = d;
    const admin = canAdminister(d);
    invitesPanel.hidden = !admin;
    if (kind === 'same') return tick(Date.now());
    // The project changed (someone joined, say): its members, and the invites they used.
    void loadMembers();
    if (admin) void loadInvites();
  });
}
