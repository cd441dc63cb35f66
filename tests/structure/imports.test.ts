// The boundaries of the tree, read from the import statements of every
// TypeScript file we own:
//   - no import circles;
//   - the deployed function (supabase/functions/) imports nothing from
//     scripts/, tests/, client/ or cli/;
//   - the SDK (client/) and the CLI (cli/) reach the shared code only through
//     its public modules (a folder's index.ts, or a top-level _shared file);
//   - the SDK imports neither the CLI nor dev tooling.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ROOTS = ['supabase/functions', 'client/src', 'cli', 'scripts', 'tests'];
const SHARED = 'supabase/functions/_shared/';

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(ROOT, dir))) {
    const rel = `${dir}/${name}`;
    if (name === 'node_modules' || name === 'dist') continue;
    if (statSync(path.join(ROOT, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(ts|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** Relative imports of a file (static, dynamic and `import type`), as repo paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]!);
  return specifiers.map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(file), s)));
}

const files = ROOTS.flatMap(sourceFiles);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe('the import graph', () => {
  it('reads a realistic tree (guards the scanner itself)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(graph.get('client/src/client.ts')).toContain('client/src/verify-bundle.ts');
  });

  it('has no import circles', () => {
    const cycles: string[][] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      stack.push(file);
      for (const next of graph.get(file) ?? []) {
        if (!graph.has(next)) continue;
        if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
        else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(cycles.map((c) => c.join(' -> '))).toEqual([]);
  });

  it('keeps the deployed function free of dev, test, SDK and CLI code', () => {
    const bad = [...graph]
      .filter(([file]) => file.startsWith('supabase/functions/'))
      .flatMap(([file, imports]) => imports.filter((i) => !i.startsWith('supabase/functions/')).map((i) => `${file} -> ${i}`));
    expect(bad).toEqual([]);
  });

  it('lets the SDK and the CLI reach shared code only through its public modules', () => {
    const isPublic = (target: string) => {
      const rest = target.slice(SHARED.length);
      return !rest.includes('/') || /^[a-z-]+\/index\.ts$/.test(rest);
    };
    const bad = [...graph]
      .filter(([file]) => file.startsWith('client/') || file.startsWith('cli/'))
      .flatMap(([file, imports]) => imports.filter((i) => i.startsWith(SHARED) && !isPublic(i)).map((i) => `${file} -> ${i}`));
    expect(bad).toEqual([]);
  });

  it('keeps the SDK free of the CLI, dev tooling and the function', () => {
    const bad = [...graph]
      .filter(([file]) => file.startsWith('client/'))
      .flatMap(([file, imports]) =>
        imports.filter((i) => i.startsWith('cli/') || i.startsWith('scripts/') || i.startsWith('tests/') || i.startsWith('supabase/functions/nebula/')).map((i) => `${file} -> ${i}`),
      );
    expect(bad).toEqual([]);
  });
});
