// "Join with a code" under "Your projects": an invite's code makes you a
// member with the invite's role. A failure (expired, used up, revoked,
// unknown, too many tries) shows in place with the server's code.
import type { SupabaseClient } from '@supabase/supabase-js';
import { joinProject } from '../../../client/src/browser.ts';
import { field, h } from '../dom.ts';
import { formPanel } from '../form-panel.ts';

export function joinBox(supabase: SupabaseClient, onChange: () => void): HTMLElement {
  const code = h('input', { id: 'join-code', type: 'text', required: true, autocomplete: 'off', spellcheck: false, placeholder: 'ABCDE-FGHIJ-KLMNO-PQRST-UVWXY', class: 'mono' });
  return formPanel({
    id: 'join',
    heading: 'Join with a code',
    fields: [field('Invite code', code)],
    button: 'Join',
    failing: 'Joining',
    submit: async () => {
      const joined = await joinProject(supabase, code.value.trim());
      code.value = '';
      onChange();
      return h('p', { role: 'status' }, joined.joined ? `Joined as ${joined.role}: ` : `You are already a member (${joined.role}): `, h('a', { href: `#/projects/${joined.projectId}` }, 'open the project'));
    },
  });
}
