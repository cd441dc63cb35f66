// `npm run build:dashboard`: the dashboard as static files in dashboard/dist
// (index.html, styles.css, app.js, config.example.json), one minified ES
// module bundled by esbuild for browsers. Prints the JS size, gzipped, and
// fails above the budget. The host adds config.json (supabaseUrl, anonKey).
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const dashboardDir = path.join(root, 'dashboard');
export const defaultOutDir = path.join(dashboardDir, 'dist');
/** The budget for the page's JavaScript, gzipped: a page that loads fast on a slow link. */
export const JS_BUDGET_GZIP_BYTES = 200 * 1024;

export interface DashboardBuild {
  readonly outDir: string;
  readonly jsBytes: number;
  readonly jsGzipBytes: number;
}

export async function buildDashboard(outDir = defaultOutDir): Promise<DashboardBuild> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [path.join(dashboardDir, 'src/main.ts')],
    outfile: path.join(outDir, 'app.js'),
    bundle: true,
    format: 'esm',
    // Browsers only: a `node:` import anywhere in the graph fails the build.
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'styles.css']) await copyFile(path.join(dashboardDir, file), path.join(outDir, file));
  await writeFile(
    path.join(outDir, 'config.example.json'),
    `${JSON.stringify({ supabaseUrl: 'https://<project-ref>.supabase.co', anonKey: '<anon or publishable key>' }, null, 2)}\n`,
  );
  const js = await readFile(path.join(outDir, 'app.js'));
  return { outDir, jsBytes: js.length, jsGzipBytes: gzipSync(js, { level: 9 }).length };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await buildDashboard(process.argv[2] ? path.resolve(process.argv[2]) : defaultOutDir);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`dashboard: ${path.relative(process.cwd(), result.outDir) || '.'}/ — app.js ${kb(result.jsBytes)}, ${kb(result.jsGzipBytes)} gzipped (budget ${kb(JS_BUDGET_GZIP_BYTES)})`);
  console.log('Serve the folder from any static host with a config.json next to index.html: {"supabaseUrl": "…", "anonKey": "…"}');
  if (result.jsGzipBytes > JS_BUDGET_GZIP_BYTES) {
    console.error('dashboard: over the JS budget');
    process.exit(1);
  }
}
