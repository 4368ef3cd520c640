/**
 * Kubernetes `Status` failures. Every error the server answers is one of these, with the HTTP code, reason,
 * message and details shaped as the real kube-apiserver shapes them (k8s.io/apimachinery/pkg/api/errors).
 */

export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'MethodNotAllowed'
  | 'Expired'
  | 'Gone'
  | 'UnsupportedMediaType'
  | 'NotAcceptable'
  | 'Timeout'
  | 'InternalError'
  | 'Forbidden';

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never> | { resourceVersion?: string; continue?: string };
  status: 'Failure' | 'Success';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** The resource a request is about, as errors name it: `deployments.apps` and `Deployment.apps`. */
export interface ErrorTarget {
  group: string;
  plural: string;
  kind: string;
}

export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
    readonly metadata: Status['metadata'] = {},
  ) {
    super(message);
    this.name = 'KubeApiError';
  }

  toStatus(): Status {
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: this.metadata,
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

const groupResource = (t: ErrorTarget) => (t.group ? `${t.plural}.${t.group}` : t.plural);
const groupKind = (t: ErrorTarget) => (t.group ? `${t.kind}.${t.group}` : t.kind);

export function notFound(t: ErrorTarget, name: string): KubeApiError {
  return new KubeApiError(404, 'NotFound', `${groupResource(t)} "${name}" not found`, {
    name,
    group: t.group,
    kind: t.plural,
  });
}

export function namespaceNotFound(namespace: string): KubeApiError {
  return notFound({ group: '', plural: 'namespaces', kind: 'Namespace' }, namespace);
}

export function alreadyExists(t: ErrorTarget, name: string): KubeApiError {
  return new KubeApiError(409, 'AlreadyExists', `${groupResource(t)} "${name}" already exists`, {
    name,
    group: t.group,
    kind: t.plural,
  });
}

export function conflict(t: ErrorTarget, name: string, why: string, causes?: StatusCause[]): KubeApiError {
  const details: StatusDetails = { name, group: t.group, kind: t.plural };
  if (causes) details.causes = causes;
  return new KubeApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${groupResource(t)} "${name}": ${why}`,
    details,
  );
}

export function staleUpdate(t: ErrorTarget, name: string): KubeApiError {
  return conflict(
    t,
    name,
    'the object has been modified; please apply your changes to the latest version and try again',
  );
}

/** A field-level validation error, as `field.Error` prints it: `spec.x: Invalid value: 5: why`. */
export interface FieldError {
  field: string;
  /** FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, FieldValueTooLong, ... */
  reason: string;
  /** The part after `field: `, e.g. `Invalid value: 5: must be positive`. */
  message: string;
}

export function invalid(t: ErrorTarget, name: string, errors: readonly FieldError[]): KubeApiError {
  const rendered = errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message));
  const summary = rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`;
  return new KubeApiError(422, 'Invalid', `${groupKind(t)} "${name}" is invalid: ${summary}`, {
    name,
    group: t.group,
    kind: t.kind,
    causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })),
  });
}

export function badRequest(message: string): KubeApiError {
  return new KubeApiError(400, 'BadRequest', message);
}

export function methodNotAllowed(): KubeApiError {
  return new KubeApiError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
  );
}

export function pathNotFound(): KubeApiError {
  return new KubeApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function expired(message: string): KubeApiError {
  return new KubeApiError(410, 'Expired', message);
}

export function unsupportedMediaType(contentType: string, accepted: readonly string[]): KubeApiError {
  return new KubeApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    {
      causes: [
        {
          reason: 'UnexpectedHeader',
          message: `unsupported media type: ${contentType}`,
          field: 'Content-Type',
        },
      ],
    },
  );
}

/** Builders for the usual `field.Error` kinds. */
export const fieldError = {
  invalid: (field: string, value: unknown, detail: string): FieldError => ({
    field,
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${renderValue(value)}: ${detail}`,
  }),
  typeInvalid: (field: string, value: unknown, detail: string): FieldError => ({
    field,
    reason: 'FieldValueTypeInvalid',
    message: `Invalid value: ${renderValue(value)}: ${detail}`,
  }),
  required: (field: string, detail = ''): FieldError => ({
    field,
    reason: 'FieldValueRequired',
    message: detail ? `Required value: ${detail}` : 'Required value',
  }),
  notSupported: (field: string, value: unknown, supported: readonly unknown[]): FieldError => ({
    field,
    reason: 'FieldValueNotSupported',
    message: `Unsupported value: ${renderValue(value)}: supported values: ${supported.map(renderValue).join(', ')}`,
  }),
  duplicate: (field: string, value: unknown): FieldError => ({
    field,
    reason: 'FieldValueDuplicate',
    message: `Duplicate value: ${renderValue(value)}`,
  }),
  forbidden: (field: string, detail: string): FieldError => ({
    field,
    reason: 'FieldValueForbidden',
    message: `Forbidden: ${detail}`,
  }),
  tooLong: (field: string, max: number): FieldError => ({
    field,
    reason: 'FieldValueTooLong',
    message: `Too long: may not be more than ${max} bytes`,
  }),
  tooMany: (field: string, actual: number, max: number): FieldError => ({
    field,
    reason: 'FieldValueTooMany',
    message: `Too many: ${actual}: must have at most ${max} items`,
  }),
  immutable: (field: string, value: unknown): FieldError => ({
    field,
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${renderValue(value)}: field is immutable`,
  }),
};

export function renderValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  return JSON.stringify(value);
}
