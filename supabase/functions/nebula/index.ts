// Entry point of the `nebula` Edge Function (Supabase runs it under Deno).
// The function's parts: app.ts maps paths to routes/ (one file per
// resource); routes run their queries through store/ (every query once, in
// one transaction per request as the caller), sign with ca.ts (project CAs
// and the certificate validity policy) and build files with bundles.ts;
// context.ts is what a route receives, settings.ts what the environment
// sets, audit.ts the audit row of each mutating request.
//
// Its dependencies are pinned in ./deno.json, the file `supabase functions
// deploy` bundles with (supabase/config.toml). bootNebula never throws: a
// missing or malformed secret is one log line and a 503 `not_configured`
// answer per request, not a worker that crashes at every start.
import { bootNebula } from './app.ts';

const app = await bootNebula((name) => Deno.env.get(name));
Deno.serve((request) => app.handle(request));
