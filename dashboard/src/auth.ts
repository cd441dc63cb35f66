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
    return data.session ? this.#session(data.session.user.email ?? data.session.user.id) : undefined;
  }

  async withPassword(email: string, password: string): Promise<Session> {
    const { data, error } = await this.client.auth.signInWithPassword({ email, password });
    if (error) throw error;
    return this.#session(data.user.email ?? email);
  }

  /** Emails a one-time code (only to existing users: the dashboard signs in, it does not sign up). */
  async sendCode(email: string): Promise<void> {
    const { error } = await this.client.auth.signInWithOtp({ email, options: { shouldCreateUser: false } });
    if (error) throw error;
  }

  async withCode(email: string, token: string): Promise<Session> {
    const { data, error } = await this.client.auth.verifyOtp({ email, token, type: 'email' });
    if (error) throw error;
    return this.#session(data.user?.email ?? email);
  }

  #session(label: string): Session {
    return {
      client: this.client,
      label,
      demo: false,
      signOut: async () => {
        await this.client.auth.signOut();
      },
    };
  }
}
