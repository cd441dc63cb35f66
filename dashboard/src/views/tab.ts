// What a project's tabs (devices, network, people, audit, settings) share:
// the project shell polls GET /projects/:projectId once for all of them and
// hands each answer to the tab on screen; a tab that changed something pokes
// the shell so the change shows at once.
import type { SupabaseClient } from '@supabase/supabase-js';
import type { ProjectDetail } from '../../../client/src/browser.ts';

export interface TabContext {
  readonly supabase: SupabaseClient;
  readonly projectId: string;
  /** The signed-in user's id, to mark "you". */
  readonly userId: string | null;
  /** Poll the project now (after an action). */
  refresh(): void;
  /** Leave the project (after deleting it or leaving it). */
  leave(): void;
}

export interface Tab {
  readonly el: HTMLElement;
  update(detail: ProjectDetail, now: number): void;
  stop?(): void;
}

export function canAdminister(detail: ProjectDetail): boolean {
  return detail.project.role === 'owner' || detail.project.role === 'admin' || detail.project.role === null;
}

/** Of an update: the tab's first (start loading), a new answer (the project changed: reload what depends on it) or the same again. */
export type UpdateKind = 'first' | 'changed' | 'same';

/**
 * A tab that reads more than the shell's poll (people, audit, settings):
 * `onUpdate` hears each answer with its kind, so the tab loads its own data
 * once at first and again only when the project changed.
 */
export function selfLoadingTab(el: HTMLElement, onUpdate: (detail: ProjectDetail, kind: UpdateKind) => void): Tab {
  let last: ProjectDetail | undefined;
  return {
    el,
    update(detail) {
      const kind: UpdateKind = last === undefined ? 'first' : last !== detail ? 'changed' : 'same';
      last = detail;
      onUpdate(detail, kind);
    },
  };
}
