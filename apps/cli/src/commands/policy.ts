/**
 * `weft policy apply|get|diff|delete`: policies as kubectl handles resources, through the API's policies.*
 * procedures (list, get, validate, apply, delete).
 */
import { stringify } from 'yaml';
import {
  POLICY_GROUP,
  policyResourceSchema,
  specYaml,
  unifiedDiff,
  type PolicyKind,
  type PolicyResource,
} from '@weft/schema';
import type { ApiClient } from '../client.ts';
import {
  NAMESPACE_FLAG,
  listFlag,
  outputFlag,
  stringFlag,
  type Command,
  type Context,
  type Flags,
} from '../command.ts';
import { ApiError, CliError, ExitCode, UsageError, type ApiFinding } from '../errors.ts';
import { formatAge, formatJson, formatTable } from '../format.ts';
import { describeKinds, qualifiedName, resolveKind } from '../kinds.ts';
import { checkResource, loadDocuments } from '../load.ts';

// ------------------------------------------------------------------------------------ the API's shapes

export interface PolicyCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

/** What policies.list / get / apply answer per policy. */
export interface PolicyRecord {
  resource: {
    apiVersion: string;
    kind: string;
    metadata: {
      name: string;
      namespace: string;
      resourceVersion?: string;
      generation?: number;
      creationTimestamp?: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    };
    spec: Record<string, unknown> & { targetRef?: { kind?: string; name?: string; sectionName?: string } };
  };
  conditions?: PolicyCondition[];
  findings?: ApiFinding[];
  createdAtMs?: number;
}

interface PolicyRef {
  kind: PolicyKind;
  namespace: string;
  name: string;
}

// ---------------------------------------------------------------------------------------- formatting

/** "  WEFT2002 error spec.backends.1.version: …" */
export function formatFinding(f: ApiFinding): string {
  return `  ${f.code} ${f.severity} ${f.path}: ${f.message}`;
}

function conditionStatus(record: PolicyRecord, type: string): string {
  return record.conditions?.find((c) => c.type === type)?.status ?? '-';
}

function target(record: PolicyRecord): string {
  const ref = record.resource.spec.targetRef;
  if (!ref?.name) return '-';
  const base = ref.kind === 'HTTPRoute' ? `httproute/${ref.name}` : ref.name;
  return ref.sectionName ? `${base}#${ref.sectionName}` : base;
}

function createdMs(record: PolicyRecord): number | undefined {
  const ts = record.resource.metadata.creationTimestamp;
  const parsed = ts ? Date.parse(ts) : Number.NaN;
  if (Number.isFinite(parsed)) return parsed;
  return record.createdAtMs;
}

export function policyTable(records: readonly PolicyRecord[], nowMs: number): string {
  const rows = [...records]
    .sort(
      (a, b) =>
        a.resource.metadata.namespace.localeCompare(b.resource.metadata.namespace) ||
        a.resource.kind.localeCompare(b.resource.kind) ||
        a.resource.metadata.name.localeCompare(b.resource.metadata.name),
    )
    .map((r) => {
      const created = createdMs(r);
      return [
        r.resource.metadata.namespace,
        r.resource.metadata.name,
        r.resource.kind,
        target(r),
        conditionStatus(r, 'Accepted'),
        conditionStatus(r, 'Programmed'),
        created === undefined ? '<unknown>' : formatAge(nowMs - created),
      ];
    });
  return formatTable(['NAMESPACE', 'NAME', 'KIND', 'TARGET', 'ACCEPTED', 'PROGRAMMED', 'AGE'], rows);
}

/** The resource as kubectl shows it: the object with its conditions under status. */
function asObject(record: PolicyRecord): Record<string, unknown> {
  const { apiVersion, kind, metadata, spec } = record.resource;
  return { apiVersion, kind, metadata, spec, status: { conditions: record.conditions ?? [] } };
}

export function formatPolicies(
  records: readonly PolicyRecord[],
  output: 'table' | 'yaml' | 'json' | 'name',
  single: boolean,
  nowMs: number,
): string {
  if (output === 'table') return policyTable(records, nowMs);
  if (output === 'name') {
    return records.map((r) => `${qualifiedName(r.resource.kind, r.resource.metadata.name)}\n`).join('');
  }
  const value =
    single && records.length === 1
      ? asObject(records[0]!)
      : { apiVersion: 'v1', kind: 'List', items: records.map(asObject) };
  return output === 'json' ? formatJson(value) : stringify(value);
}

/** The live resource through the same schema as a file's (defaults and field order alike); as is if it fails. */
function normalizeLive(record: PolicyRecord): PolicyResource | PolicyRecord['resource'] {
  const { apiVersion, kind, metadata, spec } = record.resource;
  const parsed = policyResourceSchema.safeParse({ apiVersion, kind, metadata, spec });
  return parsed.success ? parsed.data : record.resource;
}

// --------------------------------------------------------------------------------------------- calls

function refOf(resource: PolicyResource): PolicyRef {
  return { kind: resource.kind, namespace: resource.metadata.namespace, name: resource.metadata.name };
}

function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 'NOT_FOUND' || err.httpStatus === 404);
}

/** policies.get; null when there is no such policy. */
async function getPolicy(client: ApiClient, ref: PolicyRef): Promise<PolicyRecord | null> {
  try {
    return (await client.query<PolicyRecord | null>('policies.get', ref)) ?? null;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

function notFound(ref: PolicyRef): CliError {
  return new CliError(
    `${qualifiedName(ref.kind, ref.name)} not found in namespace "${ref.namespace}"`,
    ExitCode.failed,
  );
}

/** KIND NAME, KIND/NAME, KIND or nothing. */
function kindAndName(args: readonly string[], command: string): { kind?: PolicyKind; name?: string } {
  const [first, second] = args;
  if (first === undefined) return {};
  const slash = first.indexOf('/');
  if (slash >= 0) {
    if (second !== undefined) throw new UsageError('give KIND/NAME or KIND NAME, not both', command);
    const name = first.slice(slash + 1);
    if (!name) throw new UsageError(`"${first}": the name after "/" is missing`, command);
    return { kind: resolveKind(first.slice(0, slash), command), name };
  }
  return { kind: resolveKind(first, command), ...(second === undefined ? {} : { name: second }) };
}

// ------------------------------------------------------------------------------------------ commands

const FILE_FLAG = {
  type: 'string',
  short: 'f',
  multiple: true,
  value: 'FILE|DIR',
  help: 'a YAML (several documents allowed) or JSON file, a directory of *.yaml/*.yml/*.json, or - for stdin; repeatable',
} as const;

function printRefused(ctx: Context, id: string, source: string, lines: readonly string[]): void {
  ctx.io.stderr(`error: ${id} (${source}) was refused:\n${lines.map((l) => `${l}\n`).join('')}`);
}

/**
 * Validates (policies.validate, a dry run), then applies (policies.upsert: tRPC reserves the name "apply").
 * Both take the resource itself as input. Created, configured or unchanged comes from the resourceVersion
 * before and after: the API leaves a policy whose content did not change as it was.
 */
async function applyOne(
  ctx: Context,
  client: ApiClient,
  resource: PolicyResource,
  id: string,
  source: string,
): Promise<boolean> {
  const { findings = [] } = await client.mutation<{ findings?: ApiFinding[] }>('policies.validate', resource);
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    printRefused(ctx, id, source, findings.map(formatFinding));
    return false;
  }
  if (findings.length > 0) {
    ctx.io.stderr(`warning: ${id}:\n${findings.map((f) => `${formatFinding(f)}\n`).join('')}`);
  }
  const live = await getPolicy(client, refOf(resource));
  let stored: PolicyRecord;
  try {
    stored = await client.mutation<PolicyRecord>('policies.upsert', resource);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.findings.length > 0) {
      printRefused(ctx, id, source, err.findings.map(formatFinding));
    } else if (err.code === 'CONFLICT' || err.httpStatus === 409) {
      ctx.io.stderr(
        `error: ${id} (${source}): conflict: ${err.message}\n` +
          '  Someone changed it meanwhile: run weft policy get and apply again.\n',
      );
    } else {
      printRefused(ctx, id, source, [`  ${err.message}`, ...err.details.map((d) => `  ${d}`)]);
    }
    return false;
  }
  const before = live?.resource.metadata.resourceVersion;
  const after = stored.resource.metadata.resourceVersion;
  const outcome = !live ? 'created' : before !== undefined && before === after ? 'unchanged' : 'configured';
  ctx.io.stdout(`${id} ${outcome}\n`);
  return true;
}

export const policyApplyCommand: Command = {
  name: 'policy apply',
  summary: 'Create or update policies from files',
  synopsis: '-f FILE|DIR [-f …]',
  description:
    'Checks every resource with the policy schema first (nothing is sent while a file is malformed), then\n' +
    'asks the API to validate it against the mesh (findings are printed with their codes, see\n' +
    'docs/validation-codes.md) and applies it. Prints "<kind>.policy.weft.dev/<name> created|configured|unchanged".\n' +
    'Exits 1 when any resource was refused; the others are still applied.',
  flags: { filename: FILE_FLAG },
  args: [0, 0],
  examples: [
    'weft policy apply -f examples/policies/reviews-to-v2.yaml',
    'weft policy apply -f examples/policies/',
  ],
  async run(ctx, flags) {
    const docs = await loadDocuments(listFlag(flags, 'filename'), ctx.io.cwd, ctx.io.readStdin, this.name);
    const checked = docs.map(checkResource);
    const client = ctx.client();
    let refused = 0;
    for (const c of checked) {
      if (!c.ok) {
        printRefused(
          ctx,
          c.id,
          c.source,
          c.errors.map((e) => `  ${e}`),
        );
        refused++;
        continue;
      }
      if (!(await applyOne(ctx, client, c.resource, c.id, c.source))) refused++;
    }
    if (refused > 0) {
      ctx.io.stderr(`${refused} of ${checked.length} resource${checked.length === 1 ? '' : 's'} refused\n`);
      return ExitCode.failed;
    }
    return ExitCode.ok;
  },
};

const OUTPUTS = ['table', 'yaml', 'json', 'name'] as const;

export const policyGetCommand: Command = {
  name: 'policy get',
  summary: 'List policies, or show one',
  synopsis: '[KIND [NAME] | KIND/NAME] [-n NS] [-o table|yaml|json|name]',
  description:
    'Without KIND, policies of every kind; without -n, in every namespace. KIND is a kind, its plural or short\n' +
    `name, in any case:\n${describeKinds()
      .map((k) => `  ${k}`)
      .join('\n')}`,
  flags: {
    namespace: NAMESPACE_FLAG,
    output: { type: 'string', short: 'o', value: 'FORMAT', help: 'table (default), yaml, json or name' },
  },
  args: [0, 2],
  examples: [
    'weft policy get',
    'weft policy get ts -n shop',
    'weft policy get trafficsplit reviews-to-v2 -n shop -o yaml',
  ],
  async run(ctx, flags, args) {
    const { kind, name } = kindAndName(args, this.name);
    const namespace = stringFlag(flags, 'namespace');
    const output = outputFlag(flags, OUTPUTS, this.name);
    const client = ctx.client();
    let records: PolicyRecord[];
    if (kind && name && namespace) {
      const record = await getPolicy(client, { kind, namespace, name });
      if (!record) throw notFound({ kind, namespace, name });
      records = [record];
    } else {
      const input = { ...(kind ? { kind } : {}), ...(namespace ? { namespace } : {}) };
      records = await client.query<PolicyRecord[]>('policies.list', input);
      if (name) {
        records = records.filter((r) => r.resource.metadata.name === name);
        if (records.length === 0) {
          throw new CliError(`${qualifiedName(kind!, name)} not found in any namespace`, ExitCode.failed);
        }
        if (records.length > 1) {
          const namespaces = records.map((r) => r.resource.metadata.namespace).join(', ');
          throw new UsageError(
            `${qualifiedName(kind!, name)} is in several namespaces (${namespaces}): pass -n`,
            this.name,
          );
        }
      }
    }
    if (records.length === 0 && output === 'table') {
      ctx.io.stderr(`No policies found${namespace ? ` in namespace "${namespace}"` : ''}.\n`);
      return ExitCode.ok;
    }
    ctx.io.stdout(formatPolicies(records, output, name !== undefined, ctx.io.now()));
    return ExitCode.ok;
  },
};

export const policyDiffCommand: Command = {
  name: 'policy diff',
  summary: 'Show how files differ from the live policies',
  synopsis: '-f FILE|DIR [-f …]',
  description:
    'A unified diff of the YAML of each spec, live (---) against the file (+++), defaults filled in on both\n' +
    'sides. A policy that does not exist yet diffs against /dev/null.\n' +
    'Exits 0 when nothing differs, 1 when something does (or a file is invalid), like kubectl diff.',
  flags: { filename: FILE_FLAG },
  args: [0, 0],
  examples: ['weft policy diff -f examples/policies/reviews-to-v2.yaml'],
  async run(ctx, flags) {
    const docs = await loadDocuments(listFlag(flags, 'filename'), ctx.io.cwd, ctx.io.readStdin, this.name);
    const checked = docs.map(checkResource);
    const client = ctx.client();
    let differs = false;
    for (const c of checked) {
      if (!c.ok) {
        ctx.io.stderr(
          `error: ${c.id} (${c.source}) is invalid:\n${c.errors.map((e) => `  ${e}\n`).join('')}`,
        );
        differs = true;
        continue;
      }
      const ref = refOf(c.resource);
      const live = await getPolicy(client, ref);
      const liveText = live ? specYaml(normalizeLive(live).spec) : '';
      const label = `${ref.namespace}/${c.id}`;
      const diff = unifiedDiff(
        liveText,
        specYaml(c.resource.spec),
        live ? `live/${label}` : '/dev/null',
        `${c.source} ${label}`,
      );
      if (diff) {
        differs = true;
        ctx.io.stdout(diff);
      }
    }
    return differs ? ExitCode.failed : ExitCode.ok;
  },
};

export const policyDeleteCommand: Command = {
  name: 'policy delete',
  summary: 'Delete a policy',
  synopsis: 'KIND NAME -n NS  |  KIND/NAME -n NS',
  flags: { namespace: { ...NAMESPACE_FLAG, help: 'the namespace of the policy (required)' } },
  args: [1, 2],
  examples: ['weft policy delete trafficsplit reviews-to-v2 -n shop'],
  async run(ctx, flags: Flags, args) {
    const { kind, name } = kindAndName(args, this.name);
    if (!kind || !name) throw new UsageError('give the KIND and NAME of the policy to delete', this.name);
    const namespace = stringFlag(flags, 'namespace');
    if (!namespace) throw new UsageError('-n NS is required', this.name);
    const ref = { kind, namespace, name };
    try {
      await ctx.client().mutation('policies.delete', ref);
    } catch (err) {
      if (isNotFound(err)) throw notFound(ref);
      throw err;
    }
    ctx.io.stdout(`${kind.toLowerCase()}.${POLICY_GROUP} "${name}" deleted\n`);
    return ExitCode.ok;
  },
};
