// Local users: a row in auth.users is all a Supabase user is to our schema.
import type { Sql } from 'postgres';

/** Returns the id of the user with this email, creating the user if needed. */
export async function ensureUser(sql: Sql, email: string): Promise<string> {
  const [existing] = await sql<{ id: string }[]>`select id from auth.users where email = ${email} limit 1`;
  if (existing) return existing.id;
  const [created] = await sql<{ id: string }[]>`insert into auth.users (id, email) values (gen_random_uuid(), ${email}) returning id`;
  return created!.id;
}
