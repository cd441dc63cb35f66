// A project's settings, for its owners and admins: its certificate
// authorities (rotate to a new one; retire an earlier one) and, for owners,
// deleting the project — confirmed by typing its name, because it takes
// every device off the overlay for good.
import { deleteProject, invokeNebula, retireCa, rotateCa } from '../../../client/src/browser.ts';
import { noticeForNextView } from '../notice.ts';
import type { ProjectDetail, TrustedCa } from '../../../client/src/browser.ts';
import { confirmAction } from '../dialog.ts';
import { h, mount, setText } from '../dom.ts';
import { errorBox } from '../errors.ts';
import { timeLeft } from '../format.ts';
import type { Tab, TabContext } from './tab.ts';
import { selfLoadingTab } from './tab.ts';

export function settingsTab(ctx: TabContext): Tab {
  let detail: ProjectDetail | undefined;
  let cas: TrustedCa[] = [];
  let signing: string | null = null;
  const caError = h('div');
  const caBody = h('tbody');
  const rotate = h('button', { type: 'button', class: 'primary' }, 'Rotate the CA…');
  const caPanel = h('section', { class: 'panel', 'aria-labelledby': 'ca-heading' },
    h('h2', { id: 'ca-heading' }, 'Certificate authorities'),
    h('p', { class: 'muted' }, 'Devices trust every CA listed here; new certificates are signed by the signing one.'),
    caError,
    h('table', { class: 'plain cas' },
      h('caption', { class: 'visually-hidden' }, 'Trusted CAs'),
      h('thead', {}, h('tr', {}, ...['Fingerprint', 'Use', 'Expires', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
      caBody),
    h('div', { class: 'buttons' }, rotate));
  const deleteButton = h('button', { type: 'button', class: 'danger' }, 'Delete this project…');
  const deleteNote = h('p', { class: 'muted' });
  const dangerPanel = h('section', { class: 'panel danger-zone', 'aria-labelledby': 'danger-heading' },
    h('h2', { id: 'danger-heading' }, 'Delete the project'), deleteNote, h('div', { class: 'buttons' }, deleteButton));
  const el = h('div', { class: 'settings' }, caPanel, dangerPanel);

  const loadCas = async () => {
    try {
      // GET /ca/:projectId (members): the same CA rows rotateCa and retireCa answer with.
      const answer = await invokeNebula<{ certificates: TrustedCa[] }>(ctx.supabase, `ca/${encodeURIComponent(ctx.projectId)}`, { method: 'GET' });
      cas = answer.certificates;
      signing = cas.find((ca) => ca.signing)?.fingerprint ?? null;
      mount(caError);
      draw();
    } catch (error) {
      mount(caError, errorBox(error, 'Loading the CAs'));
    }
  };
  const draw = () => {
    const now = Date.now();
    caBody.replaceChildren(...cas.map((ca) => {
      const isSigning = ca.fingerprint === signing;
      const retire = isSigning ? null : h('button', { type: 'button', class: 'small', 'aria-label': `Retire CA ${ca.fingerprint.slice(0, 16)}`, onclick: (e: Event) => retireOne(ca, e.currentTarget as HTMLElement) }, 'Retire');
      return h('tr', { 'data-ca': ca.fingerprint },
        h('td', { 'data-label': 'Fingerprint', class: 'mono', title: ca.fingerprint }, `${ca.fingerprint.slice(0, 16)}…`),
        h('td', { 'data-label': 'Use' }, isSigning ? 'signing' : 'trusted'),
        h('td', { 'data-label': 'Expires' }, timeLeft(ca.notAfter, now)),
        h('td', { 'data-label': 'Actions' }, retire ?? '—'));
    }));
  };
  const retireOne = (ca: TrustedCa, opener: HTMLElement) => {
    void confirmAction({
      title: 'Retire this CA?',
      consequence: [`CA ${ca.fingerprint.slice(0, 16)}… leaves every device's trust list at their next config poll. A device whose certificate it signed is cut off until it renews onto the signing CA.`],
      confirmLabel: 'Retire CA',
      returnFocusTo: opener,
      run: async () => {
        await retireCa(ctx.supabase, ctx.projectId, ca.fingerprint);
        await loadCas();
      },
    });
  };
  rotate.addEventListener('click', () => {
    void confirmAction({
      title: 'Rotate the CA?',
      consequence: [
        'A new CA is made for this project and signs every certificate from now on. Devices learn of it at their next config poll and move onto it when they renew.',
        'The current CA stays trusted while devices still hold certificates it signed, so nobody is cut off.',
      ],
      confirmLabel: 'Rotate the CA',
      returnFocusTo: rotate,
      run: async () => {
        await rotateCa(ctx.supabase, ctx.projectId);
        ctx.refresh();
        await loadCas();
      },
    });
  });
  deleteButton.addEventListener('click', () => {
    const p = detail?.project;
    if (!p) return;
    const live = detail!.devices.filter((d) => d.state === 'live').length;
    void confirmAction({
      title: `Delete ${p.name}?`,
      consequence: [
        `${live === 0 ? 'It has no live device.' : live === 1 ? 'Its one live device loses its certificate and address and drops off the overlay.' : `Every one of its ${live} live devices loses its certificate and address and drops off the overlay.`} Its members, invites and CAs are deleted. This cannot be undone.`,
        `If it issued certificates, its subnet ${p.subnet} stays held for you and its members with devices until the last of them expires (their devices may still run it): until then, a new project of yours needs another subnet.`,
      ],
      typeToConfirm: p.name,
      confirmLabel: `Delete ${p.name}`,
      returnFocusTo: deleteButton,
      run: async () => {
        const deleted = await deleteProject(ctx.supabase, ctx.projectId, p.name);
        // A project that issued no certificate frees its subnet at once.
        const held = Date.parse(deleted.subnetHeldUntil) > Date.now() ? ` Its subnet ${deleted.subnet} stays held until ${new Date(deleted.subnetHeldUntil).toLocaleString()}.` : '';
        noticeForNextView(`${p.name} is deleted: ${deleted.revokedDevices} device${deleted.revokedDevices === 1 ? '' : 's'} revoked, ${deleted.revokedInvites} invite${deleted.revokedInvites === 1 ? '' : 's'} revoked.${held}`);
        ctx.leave();
      },
    });
  });

  return selfLoadingTab(el, (d, kind) => {
    detail = d;
    const owner = d.project.role === 'owner';
    dangerPanel.hidden = !owner;
    const live = d.devices.filter((x) => x.state === 'live').length;
    setText(deleteNote, `${live === 0 ? 'No live device would be affected' : `Takes ${live === 1 ? 'its one live device' : `all ${live} live devices`} off the overlay for good`}. Only owners may delete a project.`);
    if (kind === 'first') void loadCas();
  });
}
