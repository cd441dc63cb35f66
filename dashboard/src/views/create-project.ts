// "Create a project" under "Your projects": you become its owner, with a
// subnet and a CA of its own. A failure shows in place with the server's code.
import { createProject } from '../../../client/src/browser.ts';
import type { SupabaseClient } from '@supabase/supabase-js';
import { field, h } from '../dom.ts';
import { formPanel } from '../form-panel.ts';

export function createProjectBox(supabase: SupabaseClient, onChange: () => void): HTMLElement {
  const name = h('input', { id: 'new-project-name', type: 'text', required: true, maxlength: 100, autocomplete: 'off' });
  const subnet = h('input', { id: 'new-project-subnet', type: 'text', autocomplete: 'off', placeholder: 'automatic', inputmode: 'decimal' });
  return formPanel({
    id: 'create',
    heading: 'Create a project',
    fields: [field('Name', name), field('Subnet (optional)', subnet)],
    button: 'Create project',
    failing: 'Creating the project',
    submit: async () => {
      const p = await createProject(supabase, { name: name.value.trim(), ...(subnet.value.trim() ? { subnet: subnet.value.trim() } : {}) });
      name.value = '';
      subnet.value = '';
      onChange();
      return h('p', { role: 'status' }, 'Created ', h('a', { href: `#/projects/${p.projectId}` }, p.name), ` with subnet ${p.subnet}.`);
    },
  });
}
