// A local Syncthing's REST API (Syncthing 1.12+; written against 1.19):
// requests with its API key, answers as JSON, failures as VidsyncError.
// The key and the GUI address come from its config.xml, or are given. The
// address may be a Unix socket (`unix:///path/gui.sock`, Syncthing's
// --gui-address=unix://…): reachable only through the file system, which
// is how an agent outside a network namespace reaches a Syncthing inside it.
import { request as httpRequest } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VidsyncError } from '../../../supabase/functions/_shared/errors.ts';

export interface SyncthingApiOptions {
  /** Syncthing's home (the folder of config.xml): the API key and GUI address are read from it. */
  readonly home?: string;
  /** Overrides what config.xml says. */
  readonly apiKey?: string;
  /** e.g. http://127.0.0.1:8384 or unix:///run/syncthing/gui.sock. Default: the GUI address in config.xml. */
  readonly url?: string;
  /** Per request (default 10 s). */
  readonly timeoutMs?: number;
}

/** The GUI section of a config.xml: where the REST API listens and its key. */
export function guiOfConfigXml(xml: string): { url?: string; apiKey?: string } {
  const gui = /<gui\b([^>]*)>([\s\S]*?)<\/gui>/.exec(xml);
  if (!gui) return {};
  const tls = /\btls="true"/.test(gui[1]!);
  const address = /<address>([^<]*)<\/address>/.exec(gui[2]!)?.[1]?.trim();
  const apiKey = /<apikey>([^<]*)<\/apikey>/.exec(gui[2]!)?.[1]?.trim();
  let url: string | undefined;
  if (address?.startsWith('unix://')) url = address;
  else if (address && !address.startsWith('/')) url = `${tls ? 'https' : 'http'}://${address.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}`;
  return { url, apiKey: apiKey || undefined };
}

export class SyncthingApi {
  readonly url: string;
  readonly #apiKey: string;
  readonly #timeoutMs: number;

  private constructor(url: string, apiKey: string, timeoutMs: number) {
    this.url = url.replace(/\/+$/, '');
    this.#apiKey = apiKey;
    this.#timeoutMs = timeoutMs;
  }

  static async open(options: SyncthingApiOptions): Promise<SyncthingApi> {
    let fromConfig: { url?: string; apiKey?: string } = {};
    if (options.home && (!options.apiKey || !options.url)) {
      fromConfig = guiOfConfigXml(await readFile(join(options.home, 'config.xml'), 'utf8'));
    }
    const url = options.url ?? fromConfig.url;
    const apiKey = options.apiKey ?? fromConfig.apiKey;
    if (!url || !apiKey) throw new VidsyncError('validation_failed', 'Syncthing needs an API key and a URL: give them, or its home with a config.xml');
    const parsed = new URL(url);
    // The API key travels in a header: over plain HTTP, only to this machine (a Unix socket is).
    if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname)) {
      throw new VidsyncError('validation_failed', `refusing to send Syncthing's API key over plain HTTP to ${parsed.host}; use a loopback address or https`);
    }
    return new SyncthingApi(url, apiKey, options.timeoutMs ?? 10_000);
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  async request<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { 'x-api-key': this.#apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let res: { ok: boolean; status: number; text: string };
    try {
      if (this.url.startsWith('unix:')) {
        res = await overUnixSocket(new URL(this.url).pathname, method, path, headers, payload, this.#timeoutMs);
      } else {
        const r = await fetch(`${this.url}${path}`, { method, headers, body: payload, signal: AbortSignal.timeout(this.#timeoutMs) });
        res = { ok: r.ok, status: r.status, text: await r.text() };
      }
    } catch (cause) {
      throw new VidsyncError('unreachable', `Syncthing's REST API at ${this.url} does not answer: ${(cause as Error).message}`, { cause });
    }
    const text = res.text;
    if (!res.ok) {
      const code = res.status === 401 || res.status === 403 ? 'unauthorized' : res.status === 404 ? 'not_found' : 'internal';
      throw new VidsyncError(code, `Syncthing answered ${method} ${path} with ${res.status}: ${text.trim().slice(0, 200)}`, { details: { status: res.status } });
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/** One HTTP request over a Unix socket (fetch has no socket option). */
function overUnixSocket(
  socketPath: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | undefined,
  timeoutMs: number,
): Promise<{ ok: boolean; status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath, method, path, headers: { host: 'localhost', ...headers }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ ok: (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300, status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
