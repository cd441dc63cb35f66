// The dashboard's audit filter offers every action the function writes: its
// list (dashboard/src/views/audit.ts KNOWN_ACTIONS) says it is app.ts's
// ROUTES table, read here from both files' text (the dashboard module needs
// a DOM, the function's a Deno runtime).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');

describe('the audit tab\'s actions', () => {
  it('are those of app.ts\'s routes, each once', () => {
    const written = [...read('supabase/functions/nebula/app.ts').matchAll(/\baudit: '([a-z.]+)'/g)].map((m) => m[1]!);
    const list = read('dashboard/src/views/audit.ts').match(/KNOWN_ACTIONS = \[([^\]]*)\]/)![1]!;
    const known = [...list.matchAll(/'([a-z.]+)'/g)].map((m) => m[1]!);
    expect(written.length).toBeGreaterThan(10);
    expect(new Set(known).size).toBe(known.length);
    expect([...known].sort()).toEqual([...new Set(written)].sort());
  });
});
