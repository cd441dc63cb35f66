// "Join with a code" under "Your projects": an invite's code makes you a
// member with the invite's role. A failure (expired, used up, revoked,
// unknown, too many tries) shows in place with the server's code.
import type { SupabaseClient } from '@supabase/supabase-js';
import { joinProject } from '../../../client/src/browser.ts';
import { h, mount } from '../dom.ts';
import { errorBox } from '../errors.ts';

export function joinBox(supabase: SupabaseClient, onChange: () => void): HTMLElement {
  const code = h('input', { id: 'join-code', type: 'text', required: true, autocomplete: 'off', spellcheck: false, placeholder: 'ABCDE-FGHIJ-KLMNO-PQRST-UVWXY', class: 'mono' });
  const joinResult = h('div', { 'aria-live': 'polite' });
  const join = h('form', { class: 'panel', 'aria-labelledby': 'join-heading' },
    h('h2', { id: 'join-heading' }, 'Join with a code'),
    h('div', { class: 'inline-form' },
      h('div', { class: 'field' }, h('label', { for: 'join-code' }, 'Invite code'), code),
      h('div', { class: 'field' }, h('button', { type: 'submit', class: 'primary' }, 'Join'))),
    joinResult);
  join.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      mount(joinResult);
      try {
        const joined = await joinProject(supabase, code.value.trim());
        mount(joinResult, h('p', { role: 'status' }, joined.joined ? `Joined as ${joined.role}: ` : `You are already a member (${joined.role}): `, h('a', { href: `#/projects/${joined.projectId}` }, 'open the project')));
        code.value = '';
        onChange();
      } catch (error) {
        mount(joinResult, errorBox(error, 'Joining'));
      }
    })();
  });
  return join;
}
