// A project's address pool as one bar: used, cooling (released, not yet
// reusable), free. The numbers are in the text next to it too, so the bar is
// never the only way to read them.
import type { ProjectOverview } from '../../../client/src/browser.ts';
import { h, setAttr, setText } from '../dom.ts';

export function poolBar(): { el: HTMLElement; update(pool: ProjectOverview['pool']): void } {
  const used = h('span', { class: 'bar-used' });
  const cooling = h('span', { class: 'bar-cooling' });
  const bar = h('div', { class: 'bar', role: 'img' }, used, cooling);
  const text = h('span', { class: 'bar-text' });
  const el = h('div', { class: 'pool' }, bar, text);
  return {
    el,
    update(pool) {
      const pct = (n: number) => `${pool.size === 0 ? 0 : (100 * n) / pool.size}%`;
      setAttr(used, 'style', `width:${pct(pool.used)}`);
      setAttr(cooling, 'style', `width:${pct(pool.cooling)}`);
      const summary = `${pool.used} used · ${pool.cooling} cooling · ${pool.free} free of ${pool.size}`;
      setAttr(bar, 'aria-label', `Address pool: ${summary}`);
      setText(text, summary);
    },
  };
}
