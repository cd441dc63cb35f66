// A panel holding a one-line form ("Create a project", "Join with a code"):
// labelled fields and a submit button. Each submit clears the last result,
// runs the action and shows what it answers in place, or its failure with
// the server's code.
import { h, mount } from './dom.ts';
import { errorBox } from './errors.ts';

export interface FormPanelOptions {
  /** Prefix of the heading's id (`<id>-heading`), which names the form. */
  readonly id: string;
  readonly heading: string;
  readonly fields: readonly HTMLElement[];
  readonly button: string;
  /** What the error box says was failing, e.g. "Joining". */
  readonly failing: string;
  /** Does the work; what it returns is shown as the result. */
  readonly submit: () => Promise<Node>;
}

export function formPanel(options: FormPanelOptions): HTMLFormElement {
  const result = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'panel', 'aria-labelledby': `${options.id}-heading` },
    h('h2', { id: `${options.id}-heading` }, options.heading),
    h('div', { class: 'inline-form' },
      ...options.fields,
      h('div', { class: 'field' }, h('button', { type: 'submit', class: 'primary' }, options.button))),
    result);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      mount(result);
      try {
        mount(result, await options.submit());
      } catch (error) {
        mount(result, errorBox(error, options.failing));
      }
    })();
  });
  return form;
}
