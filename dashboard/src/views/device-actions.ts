// What an owner or admin can do to a live device, each behind a confirmation
// that says what happens: pin it to another address, release it, revoke it.
// The SDK's browser-safe calls (client/src/devices-admin.ts) do the work;
// an API error stays in the dialog with its code.
import { pinDeviceAddress, releaseDevice, revokeDevice } from '../../../client/src/browser.ts';
import type { DeviceOverview, ProjectOverview } from '../../../client/src/browser.ts';
import { chooseAction, confirmAction } from '../dialog.ts';
import { field, h } from '../dom.ts';
import type { TabContext } from './tab.ts';

/** `admin`: the viewer is an owner or admin (pinning an address is theirs alone); else the device is the viewer's own. */
export function manageDevice(ctx: TabContext, project: ProjectOverview, d: DeviceOverview, opener: HTMLElement, admin: boolean): void {
  /** Asks `title`, saying what follows; the confirmed action ("<verb> <device>") runs, then the project is polled again. */
  const confirmThen = (verb: string, title: string, consequence: string[], fields: HTMLElement[], act: () => Promise<unknown>) =>
    void confirmAction({
      title,
      consequence,
      fields,
      confirmLabel: `${verb} ${d.name}`,
      returnFocusTo: opener,
      run: async () => {
        await act();
        ctx.refresh();
      },
    });
  /** Release and revoke take an optional reason, recorded with the release of the address. */
  const withReason = (verb: string, consequence: string[], act: (reason: string | undefined) => Promise<unknown>) => () => {
    const reason = h('input', { id: `${verb.toLowerCase()}-reason`, type: 'text', maxlength: 200, autocomplete: 'off' });
    confirmThen(verb, `${verb} ${d.name}?`, consequence, [field('Reason (optional, recorded with the release of its address)', reason)], () => act(reason.value.trim() || undefined));
  };

  const pin = () => {
    const ip = h('input', { id: 'pin-ip', type: 'text', inputmode: 'decimal', autocomplete: 'off', required: true, placeholder: project.subnet.replace(/\.0\/\d+$/, '.50') });
    confirmThen('Pin', `Pin ${d.name} to another address?`, [
      `${d.name} moves from ${d.ip ?? 'no address'} to the address you choose in ${project.subnet}, and a certificate for it is signed now.`,
      `Its current address ${d.ip ?? ''} cools down before anyone gets it again. Its agent takes the new address at its next renewal; until then peers still reach it at the old one.`,
    ], [field(`New address (in ${project.subnet})`, ip)], () => pinDeviceAddress(ctx.supabase, d.deviceId, ip.value.trim()));
  };
  const release = withReason('Release', [
    `${d.name} gives up its address ${d.ip ?? ''}, which cools down before it is handed out again, and its certificates are put on the blocklist: it leaves the overlay.`,
    'It may register again later (a new address, a new certificate). Use Revoke for a lost or stolen device.',
  ], (reason) => releaseDevice(ctx.supabase, d.deviceId, reason));
  const revoke = withReason('Revoke', [
    `Every certificate of ${d.name} goes on the blocklist of every device in ${project.name}: peers drop it within a minute. Its address ${d.ip ?? ''} is released.`,
    'It can never renew, fetch its config or register again under this device id; there is no undo (to come back, the machine registers afresh as a new device). For a lost or stolen device.',
  ], (reason) => revokeDevice(ctx.supabase, d.deviceId, reason));

  chooseAction(`Manage ${d.name}`, [
    ...(admin ? [{ label: 'Pin an address…', hint: 'Move it to an address you choose.', choose: pin }] : []),
    { label: 'Release…', hint: 'Free its address; it may join again.', choose: release },
    { label: 'Revoke…', hint: 'Shut it out for good (lost or stolen).', choose: revoke },
  ], opener);
}
