// Every failure shows where it happened, with the server's code and message
// (and the request id the function's log and audit row share), never as a
// blank page.
import { isVidsyncError } from '../../client/src/browser.ts';
import { h } from './dom.ts';

export function errorBox(error: unknown, what: string): HTMLElement {
  const code = isVidsyncError(error) ? error.code : (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  const details = isVidsyncError(error) ? (error.details as { status?: number; requestId?: string } | undefined) : undefined;
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('p', { class: 'error-title' }, `${what} failed`),
    h('p', {}, typeof code === 'string' ? h('code', { class: 'error-code' }, code) : null, typeof code === 'string' ? ' ' : null, message),
    details?.requestId ? h('p', { class: 'muted' }, `HTTP ${details.status ?? '?'} · request ${details.requestId}`) : null,
  );
}
