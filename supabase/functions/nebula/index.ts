// Entry point of the `nebula` Edge Function (Supabase runs it under Deno).
// The function's parts: app.ts maps paths to routes/ (one file per
// resource); routes run their queries through store/ (every query once, in
// one transaction per request as the caller), sign with ca.ts (project CAs
// and the certificate validity policy) and build files with bundles.ts;
// context.ts is what a route receives, settings.ts what the environment sets.
import { createNebulaApp } from './app.ts';
import { loadSettings } from './settings.ts';

const app = await createNebulaApp(loadSettings((name) => Deno.env.get(name)));
Deno.serve((request) => app.handle(request));
