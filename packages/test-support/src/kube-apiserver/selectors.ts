/** Label and field selectors with the syntax and semantics of k8s.io/apimachinery's labels and fields packages. */
import { badRequest } from './errors.ts';

type LabelOp = 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

export type Labels = Readonly<Record<string, string>>;

export interface LabelSelector {
  matches(labels: Labels | undefined): boolean;
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why `key` is not a valid label key, or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!QUALIFIED_NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!LABEL_VALUE.test(value)) {
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
  }
  return undefined;
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(input: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of input) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function parseRequirement(raw: string): LabelRequirement {
  const text = raw.trim();
  const fail = (why: string) => badRequest(`unable to parse requirement: ${why}`);
  let m: RegExpMatchArray | null;
  let req: LabelRequirement;
  if ((m = /^!\s*([^\s=!<>(),]+)$/.exec(text))) req = { key: m[1]!, op: '!exists', values: [] };
  else if ((m = /^([^\s=!<>(),]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(text))) {
    const values = m[3]!.split(',').map((v) => v.trim());
    req = {
      key: m[1]!,
      op: m[2] as 'in' | 'notin',
      values: values.length === 1 && values[0] === '' ? [] : values,
    };
    if (req.values.length === 0) throw fail(`for 'in', 'notin' operators, values set can't be empty`);
  } else if ((m = /^([^\s=!<>(),]+)\s*(==|=|!=)\s*([^\s=!<>(),]*)$/.exec(text))) {
    req = { key: m[1]!, op: m[2] === '!=' ? '!=' : '=', values: [m[3]!] };
  } else if ((m = /^([^\s=!<>(),]+)\s*([<>])\s*([^\s=!<>(),]+)$/.exec(text))) {
    if (!/^-?\d+$/.test(m[3]!)) throw fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
    req = { key: m[1]!, op: m[2] === '>' ? 'gt' : 'lt', values: [m[3]!] };
  } else if ((m = /^([^\s=!<>(),]+)$/.exec(text))) req = { key: m[1]!, op: 'exists', values: [] };
  else throw badRequest(`unable to parse requirement: found '${text}', expected: identifier`);

  const keyProblem = labelKeyProblem(req.key);
  if (keyProblem) throw fail(`key: Invalid value: ${JSON.stringify(req.key)}: ${keyProblem}`);
  if (req.op !== 'gt' && req.op !== 'lt') {
    req.values.forEach((value, i) => {
      const problem = labelValueProblem(value);
      if (problem)
        throw fail(`values[${i}][${req.key}]: Invalid value: ${JSON.stringify(value)}: ${problem}`);
    });
  }
  return req;
}

function matchesRequirement(req: LabelRequirement, labels: Labels): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = has ? labels[req.key] : undefined;
  switch (req.op) {
    case 'exists':
      return has;
    case '!exists':
      return !has;
    case '=':
    case 'in':
      return has && req.values.includes(value!);
    case '!=':
    case 'notin':
      return !has || !req.values.includes(value!);
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(value!)) return false;
      const n = Number(value);
      const bound = Number(req.values[0]);
      return req.op === 'gt' ? n > bound : n < bound;
    }
  }
}

export function parseLabelSelector(input: string | undefined | null): LabelSelector {
  const text = (input ?? '').trim();
  if (text === '') return { matches: () => true };
  const requirements = splitTopLevel(text).map(parseRequirement);
  return {
    matches: (labels) => requirements.every((req) => matchesRequirement(req, labels ?? {})),
  };
}

/** A metav1.LabelSelector (matchLabels + matchExpressions), as Deployments and others carry. */
export function labelSelectorFromObject(selector: unknown): LabelSelector {
  const reqs: LabelRequirement[] = [];
  const sel = isRecord(selector) ? selector : {};
  const matchLabels = isRecord(sel.matchLabels) ? sel.matchLabels : {};
  for (const [key, value] of Object.entries(matchLabels))
    reqs.push({ key, op: '=', values: [String(value)] });
  const expressions = Array.isArray(sel.matchExpressions) ? (sel.matchExpressions as unknown[]) : [];
  const ops: Record<string, LabelOp> = {
    In: 'in',
    NotIn: 'notin',
    Exists: 'exists',
    DoesNotExist: '!exists',
  };
  for (const expr of expressions) {
    if (!isRecord(expr) || typeof expr.key !== 'string') continue;
    const op = ops[String(expr.operator)];
    const values = Array.isArray(expr.values) ? (expr.values as unknown[]).map((v) => String(v)) : [];
    if (op) reqs.push({ key: expr.key, op, values });
  }
  if (reqs.length === 0) return { matches: () => false };
  return { matches: (labels) => reqs.every((req) => matchesRequirement(req, labels ?? {})) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Labels from an object's metadata.labels-like value (non-string values are ignored). */
export function toLabels(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(value)) for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

export interface FieldSelector {
  /** The field labels the selector uses, checked against the resource's supported ones. */
  fields: string[];
  matches(fields: Readonly<Record<string, string>>): boolean;
}

function unescapeFieldValue(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(
  input: string | undefined | null,
  supported: ReadonlySet<string>,
): FieldSelector {
  const text = (input ?? '').trim();
  if (text === '') return { fields: [], matches: () => true };
  const terms: { field: string; negate: boolean; value: string }[] = [];
  // Split on commas not preceded by a backslash.
  for (const part of text.split(/(?<!\\),/)) {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    terms.push({ field: m[1]!, negate: m[2] === '!=', value: unescapeFieldValue(m[3]!) });
  }
  for (const term of terms) {
    if (!supported.has(term.field)) throw badRequest(`field label not supported: ${term.field}`);
  }
  return {
    fields: terms.map((t) => t.field),
    matches: (fields) => terms.every((t) => (fields[t.field] === t.value) !== t.negate),
  };
}
