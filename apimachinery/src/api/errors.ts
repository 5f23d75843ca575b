// The Kubernetes `Status` error object, shared by the apiserver (which raises it) and clients (which decode it).
// Codes and reasons as upstream's k8s.io/apimachinery/pkg/api/errors.

export type StatusReason =
  | 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Gone' | 'Invalid'
  | 'Expired' | 'MethodNotAllowed' | 'NotAcceptable' | 'RequestEntityTooLarge' | 'UnsupportedMediaType'
  | 'InternalError' | 'ServiceUnavailable' | 'Timeout' | 'TooManyRequests' | '';

export interface StatusCause { reason?: string; message?: string; field?: string }
export interface StatusDetails {
  name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number;
}
export interface Status {
  kind: 'Status'; apiVersion: 'v1'; metadata: Record<string, unknown>;
  status: 'Success' | 'Failure'; message?: string; reason?: StatusReason; details?: StatusDetails; code: number;
}

export class StatusError extends Error {
  constructor(public readonly code: number, public readonly reason: StatusReason, message: string,
              public readonly details?: StatusDetails) {
    super(message);
  }
  toStatus(): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message,
      reason: this.reason, code: this.code };
    if (this.details) s.details = this.details;
    return s;
  }
  static fromStatus(s: Partial<Status>): StatusError {
    return new StatusError(s.code ?? 500, (s.reason ?? '') as StatusReason, s.message ?? '', s.details);
  }
}

/** A group-qualified resource for messages: `pods`, `deployments.apps`. */
export interface GroupResource { group: string; resource: string }
const qualified = (gr: GroupResource) => (gr.group ? `${gr.resource}.${gr.group}` : gr.resource);

export const errors = {
  notFound: (gr: GroupResource, name: string) =>
    new StatusError(404, 'NotFound', `${qualified(gr)} "${name}" not found`, { name, group: gr.group || undefined, kind: gr.resource }),
  alreadyExists: (gr: GroupResource, name: string) =>
    new StatusError(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, { name, group: gr.group || undefined, kind: gr.resource }),
  conflict: (gr: GroupResource, name: string, why: string) =>
    new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, { name, group: gr.group || undefined, kind: gr.resource }),
  /** 422: `Pod "x" is invalid: [a: ..., b: ...]` with one cause per field error. */
  invalid: (kind: string, group: string, name: string, errs: FieldError[]) => {
    const parts = errs.map(fieldErrorString);
    const msg = `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`}`;
    return new StatusError(422, 'Invalid', msg, { name, group: group || undefined, kind,
      causes: errs.map(e => ({ reason: e.type, message: fieldErrorDetail(e), field: e.field })) });
  },
  badRequest: (msg: string) => new StatusError(400, 'BadRequest', msg),
  methodNotAllowed: (msg = 'the server does not allow this method on the requested resource') => new StatusError(405, 'MethodNotAllowed', msg),
  notAcceptable: (msg: string) => new StatusError(406, 'NotAcceptable', msg),
  unsupportedMediaType: (ct: string) => new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${JSON.stringify(ct)})`),
  tooLarge: () => new StatusError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'),
  gone: (msg: string) => new StatusError(410, 'Expired', msg),
  forbidden: (gr: GroupResource, name: string, why: string) =>
    new StatusError(403, 'Forbidden', `${qualified(gr)} "${name}" is forbidden: ${why}`, { name, group: gr.group || undefined, kind: gr.resource }),
  internal: (msg: string) => new StatusError(500, 'InternalError', `Internal error occurred: ${msg}`),
  unavailable: (msg: string) => new StatusError(503, 'ServiceUnavailable', msg),
  timeout: (msg: string) => new StatusError(504, 'Timeout', msg),
};

// ---- field errors (k8s.io/apimachinery/pkg/util/validation/field) ----
export type FieldErrorType =
  | 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueDuplicate'
  | 'FieldValueForbidden' | 'FieldValueTooLong' | 'FieldValueTooMany' | 'FieldValueNotFound' | 'InternalError';

export interface FieldError { type: FieldErrorType; field: string; value?: unknown; detail?: string; supported?: string[] }

const typeText: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value', FieldValueInvalid: 'Invalid value', FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value', FieldValueForbidden: 'Forbidden', FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many', FieldValueNotFound: 'Not found', InternalError: 'Internal error',
};

function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** The cause message: `Invalid value: "Foo": a lowercase RFC 1123 ...`. */
export function fieldErrorDetail(e: FieldError): string {
  let s = typeText[e.type];
  const showsValue = e.type === 'FieldValueInvalid' || e.type === 'FieldValueNotSupported' || e.type === 'FieldValueDuplicate';
  if (showsValue) s += `: ${showValue(e.value)}`;
  if (e.type === 'FieldValueNotSupported' && e.supported) s += `: supported values: ${e.supported.map(x => JSON.stringify(x)).join(', ')}`;
  else if (e.detail) s += `: ${e.detail}`;
  return s;
}
export const fieldErrorString = (e: FieldError) => `${e.field}: ${fieldErrorDetail(e)}`;

export const field = {
  required: (f: string, detail?: string): FieldError => ({ type: 'FieldValueRequired', field: f, detail }),
  invalid: (f: string, value: unknown, detail?: string): FieldError => ({ type: 'FieldValueInvalid', field: f, value, detail }),
  notSupported: (f: string, value: unknown, supported: string[]): FieldError => ({ type: 'FieldValueNotSupported', field: f, value, supported }),
  duplicate: (f: string, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field: f, value }),
  forbidden: (f: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field: f, detail }),
  tooLong: (f: string, value: unknown, max: number): FieldError => ({ type: 'FieldValueTooLong', field: f, value, detail: `must have at most ${max} bytes` }),
  notFound: (f: string, value: unknown): FieldError => ({ type: 'FieldValueNotFound', field: f, value }),
};
