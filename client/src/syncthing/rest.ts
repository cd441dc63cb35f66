// A local Syncthing's REST API (Syncthing 1.12+; written against 1.19):
// requests with its API key, answers as JSON, failures as VidsyncError.
// The key and the GUI address come from its config.xml, or are given.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VidsyncError } from '../../../supabase/functions/_shared/errors.ts';

export interface SyncthingApiOptions {
  /** Syncthing's home (the folder of config.xml): the API key and GUI address are read from it. */
  readonly home?: string;
  /** Overrides what config.xml says. */
  readonly apiKey?: string;
  /** e.g. http://127.0.0.1:8384. Default: the GUI address in config.xml. */
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
  if (address && !address.startsWith('/') && !address.startsWith('unix')) url = `${tls ? 'https' : 'http'}://${address.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}`;
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
    // The API key travels in a header: over plain HTTP, only to this machine.
    if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname)) {
      throw new VidsyncError('validation_failed', `refusing to send Syncthing's API key over plain HTTP to ${parsed.host}; use a loopback address or https`);
    }
    return new SyncthingApi(url, apiKey, options.timeoutMs ?? 10_000);
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  async request<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: { 'x-api-key': this.#apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (cause) {
      throw new VidsyncError('unreachable', `Syncthing's REST API at ${this.url} does not answer: ${(cause as Error).message}`, { cause });
    }
    const text = await res.text();
    if (!res.ok) {
      const code = res.status === 401 || res.status === 403 ? 'unauthorized' : res.status === 404 ? 'not_found' : 'internal';
      throw new VidsyncError(code, `Syncthing answered ${method} ${path} with ${res.status}: ${text.trim().slice(0, 200)}`, { details: { status: res.status } });
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
