// A tiny router: method + path pattern (`/projects/:projectId/devices`) →
// handler with the named segments as params. Enough for one function with a
// handful of routes, and runtime-neutral (no URLPattern, which Node 20 lacks).
// Params arrive as raw strings; validate them with a schema in the handler.
import { VidsyncError } from '../errors.ts';

export type Params = Record<string, string>;
export type Handler = (req: Request, params: Params) => Promise<Response> | Response;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

export class Router {
  readonly #routes: Route[] = [];

  /** `basePath` is stripped first: the gateway hands us `/<function>/...`. */
  constructor(private readonly basePath = '') {}

  on(method: string, pattern: string, handler: Handler): this {
    this.#routes.push({ method: method.toUpperCase(), segments: split(pattern), handler });
    return this;
  }

  /** Runs the matching handler; throws `not_found` or `method_not_allowed`. */
  handle(req: Request): Promise<Response> | Response {
    let path = new URL(req.url).pathname;
    if (this.basePath && (path === this.basePath || path.startsWith(`${this.basePath}/`))) {
      path = path.slice(this.basePath.length);
    }
    const segments = split(path);
    let pathMatched = false;
    for (const route of this.#routes) {
      const params = match(route.segments, segments);
      if (!params) continue;
      pathMatched = true;
      if (route.method === req.method) return route.handler(req, params);
    }
    if (pathMatched) throw new VidsyncError('method_not_allowed', `${req.method} is not allowed here.`);
    throw new VidsyncError('not_found', 'No such route.');
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function match(pattern: string[], segments: string[]): Params | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Params = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = segments[i]!;
    if (p.startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(s);
      } catch {
        return undefined; // malformed %-escape: not a route of ours
      }
      params[p.slice(1)] = value;
    } else if (p !== s) {
      return undefined;
    }
  }
  return params;
}
