// Projects as their members see them. Creating one makes the caller its
// owner, with a subnet of its own and a fresh Nebula CA.
import type { SupabaseClient } from '@supabase/supabase-js';
import { invokeNebula } from './invoke.ts';

export interface CreateProjectOptions {
  readonly name: string;
  /** The overlay subnet, e.g. "10.98.1.0/24". Default: the next free one the server assigns. */
  readonly subnet?: string;
}

export interface Project {
  readonly projectId: string;
  readonly name: string;
  readonly subnet: string;
  readonly ownerId: string;
  /** The project's signing CA: its fingerprint, expiry and PEM certificate. */
  readonly ca: { readonly fingerprint: string; readonly notAfter: string; readonly certificate: string };
}

/** Creates a project owned by the signed-in user. Errors are VidsyncErrors with the server's code. */
export function createProject(supabase: SupabaseClient, options: CreateProjectOptions): Promise<Project> {
  const body: Record<string, unknown> = { name: options.name };
  if (options.subnet !== undefined) body.subnet = options.subnet;
  return invokeNebula<Project>(supabase, 'projects', { method: 'POST', body });
}
