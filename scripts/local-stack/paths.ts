// Where the local stack keeps its files, resolved from this module so that
// scripts work from any current directory.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const localDir = path.join(repoRoot, '.local');
export const bootstrapSqlPath = path.join(repoRoot, 'scripts', 'local-stack', 'bootstrap.sql');
export const supabaseCli = path.join(repoRoot, 'node_modules', '.bin', 'supabase');
