// A sentence for the next view to show once, when an action ends by leaving
// the view it happened in (a deleted project: the page goes back to the list).
let pending: string | undefined;

export function noticeForNextView(text: string): void {
  pending = text;
}

/** The pending notice, as a status box, once; null when there is none. */
export function takeNotice(make: (text: string) => HTMLElement): HTMLElement | null {
  const text = pending;
  pending = undefined;
  return text === undefined ? null : make(text);
}
