// What a route handler receives: the request, the verified caller, the path
// parameters, and the function's shared parts. Its own module, so routes and
// the app that lists them do not import each other.
import type { Sql } from 'postgres';
import type { Caller } from '../_shared/auth/index.ts';
import type { ProjectCas } from './ca.ts';
import type { AuditTrail } from './audit.ts';
import type { NebulaSettings } from './settings.ts';

export interface RequestContext {
  readonly request: Request;
  readonly url: URL;
  readonly caller: Caller;
  readonly params: Readonly<Record<string, string>>;
  readonly sql: Sql;
  readonly cas: ProjectCas;
  readonly settings: NebulaSettings;
  /** This request's audit row: mutating routes call `audit.record(tx, { projectId, deviceId })` in their transaction (see ../audit.ts). */
  readonly audit: AuditTrail;
  /** Also in the `x-request-id` header, the audit row and the log. */
  readonly requestId: string;
}

export type RouteHandler = (ctx: RequestContext) => Promise<Response>;
