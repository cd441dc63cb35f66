// Signing in. On a hosted project: Supabase Auth, with a password or a
// one-time code sent by email. In the local stack (`npm run dev`) the config
// also lists demo users; the page offers them in a box marked as local-only.
import type { Session } from '../auth.ts';
import { demoSession, HostedAuth } from '../auth.ts';
import type { DashboardConfig } from '../config.ts';
import { field, h, mount } from '../dom.ts';
import { errorBox } from '../errors.ts';

export function signInView(root: HTMLElement, config: DashboardConfig, onSignedIn: (s: Session) => void): void {
  const auth = new HostedAuth(config);
  const errorSlot = h('div');
  const email = h('input', { id: 'email', type: 'email', autocomplete: 'email', required: true });
  const password = h('input', { id: 'password', type: 'password', autocomplete: 'current-password' });
  const code = h('input', { id: 'code', inputmode: 'numeric', autocomplete: 'one-time-code' });
  const codeField = h('div', { class: 'field', hidden: true }, h('label', { for: 'code' }, 'Code from the email'), code);
  const busy = async (what: string, fn: () => Promise<void>) => {
    mount(errorSlot);
    try {
      await fn();
    } catch (error) {
      // supabase-js reports an unreachable (or CORS-refusing) Auth server as a bare "Failed to fetch": say which server.
      const unreachable = (error as { status?: number })?.status === 0 || error instanceof TypeError;
      mount(errorSlot, errorBox(unreachable ? new Error(`could not reach Supabase Auth at ${config.supabaseUrl}/auth/v1 (${(error as Error).message})`) : error, what));
    }
  };

  const form = h('form', { class: 'sign-in', 'aria-labelledby': 'sign-in-heading' },
    h('h2', { id: 'sign-in-heading' }, 'Sign in'),
    field('Email', email),
    field('Password', password),
    codeField,
    h('div', { class: 'buttons' },
      h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
      h('button', {
        type: 'button',
        onclick: () => busy('Sending a code', async () => {
          await auth.sendCode(email.value);
          codeField.hidden = false;
          code.focus();
        }),
      }, 'Email me a code')),
    errorSlot);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void busy('Signing in', async () => {
      onSignedIn(codeField.hidden ? await auth.withPassword(email.value, password.value) : await auth.withCode(email.value, code.value.trim()));
    });
  });

  const demo = config.demoUsers?.length
    ? h('section', { class: 'demo', 'aria-labelledby': 'demo-heading' },
        h('h2', { id: 'demo-heading' }, 'Local stack only: sign in as a demo user'),
        h('p', {}, 'This page is served by ', h('code', {}, 'npm run dev'), ', which has no Supabase Auth server. These users and their tokens exist only in your local stack; a hosted dashboard never shows this box.'),
        h('div', { class: 'buttons' },
          ...config.demoUsers.map((u) => h('button', { type: 'button', class: 'primary', onclick: () => onSignedIn(demoSession(config, u)) }, `Sign in as ${u.name}`))))
    : null;

  mount(root, h('h1', { tabindex: '-1' }, 'VidSync dashboard'), demo, form);
}
