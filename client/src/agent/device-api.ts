// The device-scoped routes as the agent calls them, over plain fetch: with
// the user's session when there is one (a bearer token), otherwise signed
// with the device's own API key (a headless machine has no user). Errors
// become VidsyncErrors with the server's code, like the rest of the SDK.
import { VidsyncError } from '../../../supabase/functions/_shared/errors.ts';
import { signDeviceRequest } from '../../../supabase/functions/_shared/device-signature.ts';
import type { HeartbeatInfo, RegisterResponse } from '../client.ts';
import { readErrorAnswer } from '../invoke.ts';
import type { PeerList, PeersAnswer } from '../syncthing/peers.ts';

export interface DeviceApiOptions {
  /** `<SUPABASE_URL>/functions/v1`. */
  readonly functionsUrl: string;
  readonly deviceId: string;
  /** The user's current access token, or null when no one is signed in. */
  readonly accessToken?: () => Promise<string | null>;
  /** The device's Ed25519 API key (64 bytes: seed + public key). */
  readonly apiKey?: Uint8Array;
  /** Gives up on a request after this long (default 15 s). */
  readonly timeoutMs?: number;
}

export type ConfigAnswer = { changed: false } | { changed: true; yaml: string; etag: string | null };

export class DeviceApi {
  readonly #o: DeviceApiOptions;

  constructor(options: DeviceApiOptions) {
    this.#o = options;
  }

  async renew(): Promise<RegisterResponse> {
    return (await this.#call('POST', `renew/${this.#o.deviceId}`)).json() as Promise<RegisterResponse>;
  }

  async heartbeat(info: HeartbeatInfo): Promise<{ lastSeenAt: string; recorded: boolean; intervalSeconds: number }> {
    return (await this.#call('POST', `heartbeat/${this.#o.deviceId}`, info)).json() as Promise<{ lastSeenAt: string; recorded: boolean; intervalSeconds: number }>;
  }

  /** The device's nebula.yml; `{ changed: false }` when it still matches `etag`. */
  async config(etag?: string | null): Promise<ConfigAnswer> {
    const res = await this.#call('GET', `config/${this.#o.deviceId}`, undefined, etag ? { 'if-none-match': etag } : {});
    if (res.status === 304) return { changed: false };
    return { changed: true, yaml: await res.text(), etag: res.headers.get('etag') };
  }

  /** The CAs the device's project trusts, as ca.crt holds them (GET /config/:deviceId/ca). */
  async caBundle(): Promise<string> {
    return (await this.#call('GET', `config/${this.#o.deviceId}/ca`)).text();
  }

  /** The project's other live devices (GET /peers); `{ changed: false }` when the list still matches `etag`. */
  async peers(etag?: string | null): Promise<PeersAnswer> {
    const res = await this.#call('GET', `peers/${this.#o.deviceId}`, undefined, etag ? { 'if-none-match': etag } : {});
    if (res.status === 304) return { changed: false, etag: res.headers.get('etag') ?? etag ?? '' };
    return { changed: true, etag: res.headers.get('etag') ?? '', list: (await res.json()) as PeerList };
  }

  /** Tells the cloud this device's Syncthing device ID (PUT /devices/:id/syncthing). */
  async setSyncthingDeviceId(syncthingDeviceId: string): Promise<void> {
    await this.#call('PUT', `devices/${this.#o.deviceId}/syncthing`, { deviceId: syncthingDeviceId });
  }

  async #call(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const bytes = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
    const h = new Headers(headers);
    if (bytes) h.set('content-type', 'application/json');
    const token = this.#o.accessToken ? await this.#o.accessToken() : null;
    if (token) h.set('authorization', `Bearer ${token}`);
    else if (this.#o.apiKey) {
      h.set('authorization', await signDeviceRequest({ deviceId: this.#o.deviceId, privateKey: this.#o.apiKey }, { method, pathAndQuery: `/nebula/${path}`, body: bytes }));
    } else throw new VidsyncError('unauthorized', 'no user session and no device API key: register this device first');

    let res: Response;
    try {
      res = await fetch(`${this.#o.functionsUrl.replace(/\/+$/, '')}/nebula/${path}`, {
        method,
        headers: h,
        body: bytes,
        signal: AbortSignal.timeout(this.#o.timeoutMs ?? 15_000),
      });
    } catch (cause) {
      throw new VidsyncError('unreachable', `could not reach the nebula function: ${(cause as Error).message}`, { cause });
    }
    if (res.ok || res.status === 304) return res;
    const { code, message } = await readErrorAnswer(res);
    throw new VidsyncError(code, message, { details: { status: res.status } });
  }
}
