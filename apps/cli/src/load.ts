/**
 * Policy resources from files: `-f FILE` (YAML, multi-document YAML, or JSON), `-f DIR` (every *.yaml, *.yml
 * and *.json in it, by name) or `-f -` (stdin). Each document is checked with the shared zod schema before
 * anything is sent, with field paths in the messages, and unknown fields are refused as kubectl's strict
 * field validation does (a typo in an optional field would otherwise be dropped silently).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  POLICY_API_VERSION,
  POLICY_KIND_NAMES,
  policyResourceSchema,
  type PolicyKind,
  type PolicyResource,
} from '@weft/schema';
import { CliError, ExitCode, UsageError } from './errors.ts';
import { qualifiedName } from './kinds.ts';

export interface LoadedDocument {
  /** "examples/policies/reviews-to-v2.yaml", with " (document 2)" when the file has several. */
  source: string;
  value: unknown;
}

const EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Files a -f argument names: the file itself, or the policy files directly inside a directory. */
export function expandPath(arg: string, cwd: string, command: string): string[] {
  if (arg === '-') return ['-'];
  const full = path.resolve(cwd, arg);
  let isDir: boolean;
  try {
    isDir = statSync(full).isDirectory();
  } catch {
    throw new UsageError(`the path "${arg}" does not exist`, command);
  }
  if (!isDir) return [arg];
  const files = readdirSync(full)
    .filter((f) => !f.startsWith('.') && EXTENSIONS.includes(path.extname(f).toLowerCase()))
    .sort()
    .map((f) => path.join(arg, f));
  if (files.length === 0) {
    throw new CliError(`no *.yaml, *.yml or *.json files in "${arg}"`, ExitCode.failed);
  }
  return files;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON array or a `kind: List` stands for its items. */
function flatten(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(flatten);
  if (isObject(value) && value.kind === 'List' && Array.isArray(value.items))
    return value.items.flatMap(flatten);
  return [value];
}

/** Parses one file's text (YAML unless the name ends in .json). Throws CliError with line numbers. */
export function parseDocuments(text: string, name: string): LoadedDocument[] {
  let values: unknown[];
  if (name.toLowerCase().endsWith('.json')) {
    try {
      values = [JSON.parse(text) as unknown];
    } catch (err) {
      throw new CliError(`${name}: not valid JSON: ${(err as Error).message}`, ExitCode.failed);
    }
  } else {
    values = [];
    for (const doc of parseAllDocuments(text)) {
      const error = doc.errors[0];
      if (error) {
        const at = error.linePos?.[0];
        const where = at ? ` at line ${at.line}, column ${at.col}` : '';
        throw new CliError(
          `${name}: not valid YAML${where}: ${error.message.split('\n')[0]}`,
          ExitCode.failed,
        );
      }
      values.push(doc.toJS({ maxAliasCount: 100 }));
    }
  }
  const items = values.filter((v) => v !== null && v !== undefined).flatMap(flatten);
  return items.map((value, i) => ({
    source: items.length > 1 ? `${name} (document ${i + 1})` : name,
    value,
  }));
}

/** Every document in the files the -f arguments name, in order. */
export async function loadDocuments(
  args: readonly string[],
  cwd: string,
  readStdin: () => Promise<string>,
  command: string,
): Promise<LoadedDocument[]> {
  if (args.length === 0) throw new UsageError('-f FILE|DIR is required', command);
  const files = args.flatMap((arg) => expandPath(arg, cwd, command));
  const docs: LoadedDocument[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = file === '-' ? await readStdin() : readFileSync(path.resolve(cwd, file), 'utf8');
    } catch (err) {
      throw new CliError(`cannot read ${file}: ${(err as Error).message}`, ExitCode.failed);
    }
    docs.push(...parseDocuments(text, file === '-' ? 'stdin' : file));
  }
  if (docs.length === 0) throw new CliError(`no resources found in ${args.join(', ')}`, ExitCode.failed);
  return docs;
}

export type CheckedResource =
  | { ok: true; source: string; id: string; resource: PolicyResource }
  | { ok: false; source: string; id: string; errors: string[] };

function unknownFields(raw: unknown, parsed: unknown, at: string[], out: string[]): void {
  if (Array.isArray(raw) && Array.isArray(parsed)) {
    raw.forEach((item, i) => unknownFields(item, parsed[i], [...at, String(i)], out));
    return;
  }
  if (!isObject(raw) || !isObject(parsed)) return;
  for (const key of Object.keys(raw)) {
    const here = [...at, key];
    if (!(key in parsed)) out.push(`${here.join('.')}: unknown field "${key}"`);
    else unknownFields(raw[key], parsed[key], here, out);
  }
}

/** Checks one document with the shared schema; the resource comes back with defaults applied, without status. */
export function checkResource(doc: LoadedDocument): CheckedResource {
  const { source, value } = doc;
  if (!isObject(value)) {
    return {
      ok: false,
      source,
      id: source,
      errors: ['not a policy resource: expected a mapping with apiVersion, kind, metadata and spec'],
    };
  }
  const kind = typeof value.kind === 'string' ? value.kind : undefined;
  const metadata = isObject(value.metadata) ? value.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '?';
  const id = kind ? qualifiedName(kind, name) : source;
  if (!kind || !POLICY_KIND_NAMES.includes(kind as PolicyKind)) {
    return {
      ok: false,
      source,
      id,
      errors: [
        `kind: ${kind === undefined ? 'missing' : `"${kind}" is not a Weft policy kind`}; one of ${POLICY_KIND_NAMES.join(', ')}`,
      ],
    };
  }
  const { status: _status, ...input } = value;
  const parsed = policyResourceSchema.safeParse(input);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue) => {
      const at = issue.path.map(String).join('.');
      return at ? `${at}: ${issue.message}` : issue.message;
    });
    if (input.apiVersion !== POLICY_API_VERSION && !errors.some((e) => e.startsWith('apiVersion'))) {
      errors.unshift(`apiVersion: must be "${POLICY_API_VERSION}"`);
    }
    return { ok: false, source, id, errors };
  }
  const unknown: string[] = [];
  unknownFields(input, parsed.data, [], unknown);
  if (unknown.length > 0) return { ok: false, source, id, errors: unknown };
  return { ok: true, source, id, resource: parsed.data };
}
