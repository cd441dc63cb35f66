// Entry point of the `nebula` Edge Function (Supabase runs it under Deno).
import { createNebulaApp } from './app.ts';
import { loadSettings } from './settings.ts';

const app = await createNebulaApp(loadSettings((name) => Deno.env.get(name)));
Deno.serve((request) => app.handle(request));
