// "Create a project" under "Your projects": you become its owner, with a
// subnet and a CA of its own. A failure shows in place with the server's code.
import { createProject } from '../../../client/src/browser.ts';
import type { SupabaseClient } from '@supabase/supabase-js';
import { h, mount } from '../dom.ts';
import { errorBox } from '../errors.ts';

export function createProjectBox(supabase: SupabaseClient, onChange: () => void): HTMLElement {
  const name = h('input', { id: 'new-project-name', type: 'text', required: true, maxlength: 100, autocomplete: 'off' });
  const subnet = h('input', { id: 'new-project-subnet', type: 'text', autocomplete: 'off', placeholder: 'automatic', inputmode: 'decimal' });
  const createResult = h('div', { 'aria-live': 'polite' });
  const create = h('form', { class: 'panel', 'aria-labelledby': 'create-heading' },
    h('h2', { id: 'create-heading' }, 'Create a project'),
    h('div', { class: 'inline-form' },
      h('div', { class: 'field' }, h('label', { for: 'new-project-name' }, 'Name'), name),
      h('div', { class: 'field' }, h('label', { for: 'new-project-subnet' }, 'Subnet (optional)'), subnet),
      h('div', { class: 'field' }, h('button', { type: 'submit', class: 'primary' }, 'Create project'))),
    createResult);
  create.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      mount(createResult);
      try {
        const p = await createProject(supabase, { name: name.value.trim(), ...(subnet.value.trim() ? { subnet: subnet.value.trim() } : {}) });
        mount(createResult, h('p', { role: 'status' }, 'Created ', h('a', { href: `#/projects/${p.projectId}` }, p.name), ` with subnet ${p.subnet}.`));
        name.value = '';
        subnet.value = '';
        onChange();
      } catch (error) {
        mount(createResult, errorBox(error, 'Creating the project'));
      }
    })();
  });

  return create;
}
