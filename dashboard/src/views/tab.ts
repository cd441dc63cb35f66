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
