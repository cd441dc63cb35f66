// Confirmations for actions that change something for good: a modal
// <dialog> (the browser traps focus in it and Escape closes it) that names
// the consequence in words, optionally asks for extra input or for a name to
// be typed, and runs the action in place — a failure shows its code and
// message inside the dialog, which stays open; success closes it and focus
// goes back to the button that opened it.
import { field, h, mount } from './dom.ts';
import { errorBox } from './errors.ts';

export interface ConfirmOptions {
  /** The dialog's heading: "Revoke Studio iMac?" */
  readonly title: string;
  /** What will happen, in words a person can weigh. */
  readonly consequence: (Node | string)[];
  /** The confirming button's label: "Revoke Studio iMac". */
  readonly confirmLabel: string;
  /** Inputs shown above the buttons (each with its label). */
  readonly fields?: HTMLElement[];
  /** The confirming button stays disabled until this is typed exactly. */
  readonly typeToConfirm?: string;
  /** Where focus goes when the dialog closes (default: what had it before). */
  readonly returnFocusTo?: HTMLElement;
  /** Runs on confirm; a throw keeps the dialog open with the error shown. */
  run(): Promise<void>;
}

let counter = 0;

export function confirmAction(options: ConfirmOptions): Promise<boolean> {
  const opener = options.returnFocusTo ?? (document.activeElement as HTMLElement | null);
  const landing = landingOf(opener);
  const id = `dialog-${++counter}`;
  const errorSlot = h('div', { 'aria-live': 'assertive' });
  const confirm = h('button', { type: 'submit', class: 'danger' }, options.confirmLabel);
  const cancel = h('button', { type: 'button' }, 'Cancel');
  let typed: HTMLInputElement | null = null;
  if (options.typeToConfirm !== undefined) {
    typed = h('input', { id: `${id}-typed`, type: 'text', autocomplete: 'off', spellcheck: false });
    confirm.disabled = true;
    typed.addEventListener('input', () => (confirm.disabled = typed!.value !== options.typeToConfirm));
  }
  const form = h('form', { method: 'dialog' },
    h('h2', { id: `${id}-title` }, options.title),
    h('div', { id: `${id}-consequence`, class: 'consequence' }, ...options.consequence.map((c) => (typeof c === 'string' ? h('p', {}, c) : c))),
    ...(options.fields ?? []),
    typed ? field(`Type “${options.typeToConfirm}” to confirm`, typed) : null,
    errorSlot,
    h('div', { class: 'buttons' }, confirm, cancel));
  const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-consequence` }, form);
  document.body.append(dialog);

  return new Promise((resolve) => {
    let done = false;
    const close = (result: boolean) => {
      if (done) return;
      done = true;
      dialog.close();
      dialog.remove();
      returnFocus(opener, landing);
      resolve(result);
    };
    cancel.addEventListener('click', () => close(false));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      close(false);
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (confirm.disabled) return;
      confirm.disabled = true;
      mount(errorSlot);
      void options.run().then(
        () => close(true),
        (error: unknown) => {
          confirm.disabled = false;
          mount(errorSlot, errorBox(error, options.confirmLabel));
        },
      );
    });
    dialog.showModal();
    (form.querySelector<HTMLElement>('input, select') ?? cancel).focus();
  });
}

/** Where focus lands when the action removed its opener (a revoked invite's row): the heading of the opener's section. */
function landingOf(opener: HTMLElement | null): HTMLElement | null {
  return opener?.closest('section, main')?.querySelector<HTMLElement>('h1, h2') ?? null;
}

function returnFocus(opener: HTMLElement | null, landing: HTMLElement | null): void {
  if (opener?.isConnected) return opener.focus();
  if (!landing?.isConnected) return;
  if (!landing.hasAttribute('tabindex')) landing.setAttribute('tabindex', '-1');
  landing.focus();
}

export interface Choice {
  readonly label: string;
  /** One line under the button: what it does. */
  readonly hint: string;
  choose(): void;
}

/** A small modal menu: "what do you want to do with X?" Choosing closes it and calls the choice. */
export function chooseAction(title: string, choices: Choice[], returnFocusTo: HTMLElement): void {
  const id = `dialog-${++counter}`;
  const close = h('button', { type: 'button' }, 'Close');
  const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title` }, title),
    h('ul', { class: 'choices' },
      ...choices.map((c, i) => {
        const hint = h('span', { id: `${id}-hint-${i}`, class: 'muted' }, c.hint);
        const button = h('button', { type: 'button', 'aria-describedby': `${id}-hint-${i}` }, c.label);
        button.addEventListener('click', () => {
          dialog.close();
          dialog.remove();
          c.choose();
        });
        return h('li', {}, button, hint);
      })),
    h('div', { class: 'buttons' }, close));
  const dismiss = () => {
    dialog.close();
    dialog.remove();
    if (returnFocusTo.isConnected) returnFocusTo.focus();
  };
  close.addEventListener('click', dismiss);
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault();
    dismiss();
  });
  document.body.append(dialog);
  dialog.showModal();
  dialog.querySelector<HTMLButtonElement>('ul button')?.focus();
}
