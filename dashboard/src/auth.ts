// Who is looking: a user signed in with Supabase Auth (hosted projects:
// password or an emailed one-time code), or, in the local stack only, a demo
// user whose token the local config hands out. Either way the page ends up
// with a supabase-js client that sends that user's access token.
import { createClient } from '@supabase/supabase-js';
import type { SupabaseClient } from '@supabase/supabase-js';
import type { DashboardConfig, DemoUser } from './config.ts';

export interface Session {
  readonly client: SupabaseClient;
  /** Who, as the header shows it. */
  readonly label: string;
  /** The user's id (the token's `sub`): marks "you" among members and in the audit log. */
  readonly userId: string | null;
  readonly demo: boolean;
  signOut(): Promise<void>;
}

const DEMO_KEY = 'vidsync.dashboard.demoUser';

export function demoSession(config: DashboardConfig, user: DemoUser): Session {
  localStorage.setItem(DEMO_KEY, user.name);
  const client = createClient(config.supabaseUrl, config.anonKey, { accessToken: async () => user.accessToken });
  return {
    client,
    label: `${user.email} (demo)`,
    userId: subjectOf(user.accessToken),
    demo: true,
    signOut: async () => localStorage.removeItem(DEMO_KEY),
  };
}

/** The demo user picked earlier in this browser, if the config still offers them. */
export function rememberedDemoUser(config: DashboardConfig): DemoUser | undefined {
  const name = localStorage.getItem(DEMO_KEY);
  return config.demoUsers?.find((u) => u.name === name);
}

export class HostedAuth {
  readonly client: SupabaseClient;

  constructor(config: DashboardConfig) {
    this.client = createClient(config.supabaseUrl, config.anonKey);
  }

  /** The session supabase-js kept from an earlier visit, if any. */
  async current(): Promise<Session | undefined> {
    const { data } = await this.client.auth.getSession();
    return data.session ? this.#session(data.session.user.email ?? data.session.user.id, data.session.user.id) : undefined;
  }

  async withPassword(email: string, password: string): Promise<Session> {
    const { data, error } = await this.client.auth.signInWithPassword({ email, password });
    if (error) throw error;
    return this.#session(data.user.email ?? email, data.user.id);
  }

  /** Emails a one-time code (only to existing users: the dashboard signs in, it does not sign up). */
  async sendCode(email: string): Promise<void> {
    const { error } = await this.client.auth.signInWithOtp({ email, options: { shouldCreateUser: false } });
    if (error) throw error;
  }

  async withCode(email: string, token: string): Promise<Session> {
    const { data, error } = await this.client.auth.verifyOtp({ email, token, type: 'email' });
    if (error) throw error;
    return this.#session(data.user?.email ?? email, data.user?.id ?? null);
  }

  #session(label: string, userId: string | null): Session {
    return {
      client: this.client,
      label,
      userId,
      demo: false,
      signOut: async () => {
        await this.client.auth.signOut();
      },
    };
  }
}

/** The `sub` of a JWT, read without verifying it: only to recognise "you" on the page; the function verifies every token. */
function subjectOf(token: string): string | null {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: unknown };
    return typeof payload.sub === 'string' ? payload.sub : null;
  } catch {
    return null;
  }
}
