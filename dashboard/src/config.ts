// The page's only configuration: where the Supabase project is and its anon
// (publishable) key, read from config.json next to index.html, so one build
// serves any project from any static host. `demoUsers` exists only in the
// config the local dev server writes (scripts/dashboard/serve.ts): a hosted
// config never has it, and then the page offers Supabase Auth alone.
export interface DemoUser {
  readonly name: string;
  readonly email: string;
  readonly accessToken: string;
}

export interface DashboardConfig {
  readonly supabaseUrl: string;
  readonly anonKey: string;
  readonly demoUsers?: readonly DemoUser[];
}

export async function loadConfig(url = 'config.json'): Promise<DashboardConfig> {
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-store' });
  } catch (error) {
    throw new Error(`could not load ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new Error(`could not load ${url}: HTTP ${response.status}. Put a config.json with supabaseUrl and anonKey next to index.html.`);
  const config = (await response.json()) as Partial<DashboardConfig>;
  if (typeof config.supabaseUrl !== 'string' || !/^https?:\/\//.test(config.supabaseUrl)) throw new Error(`${url}: supabaseUrl must be an http(s) URL`);
  if (typeof config.anonKey !== 'string' || config.anonKey === '') throw new Error(`${url}: anonKey is missing`);
  const demoUsers = Array.isArray(config.demoUsers)
    ? config.demoUsers.filter((u): u is DemoUser => typeof u?.name === 'string' && typeof u.accessToken === 'string')
    : undefined;
  return { supabaseUrl: config.supabaseUrl.replace(/\/+$/, ''), anonKey: config.anonKey, ...(demoUsers?.length ? { demoUsers } : {}) };
}
