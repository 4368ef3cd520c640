/**
 * Policy kind names as kubectl takes resource types: the kind, its plural or a short name, in any case,
 * optionally qualified with the group ("trafficsplits.policy.weft.dev"). Names come from POLICY_KINDS.
 */
import { POLICY_GROUP, POLICY_KIND_NAMES, POLICY_KINDS, type PolicyKind } from '@weft/schema';
import { UsageError } from './errors.ts';

function namesOf(kind: PolicyKind): string[] {
  const def = POLICY_KINDS[kind];
  return [kind.toLowerCase(), def.plural, ...def.shortNames];
}

const BY_NAME: ReadonlyMap<string, PolicyKind> = new Map(
  POLICY_KIND_NAMES.flatMap((kind) => namesOf(kind).map((name) => [name, kind] as const)),
);

/** One line per kind: "TrafficSplit (trafficsplits, ts)". */
export function describeKinds(): string[] {
  return POLICY_KIND_NAMES.map((kind) => {
    const def = POLICY_KINDS[kind];
    return `${kind} (${[def.plural, ...def.shortNames].join(', ')})`;
  });
}

export function resolveKind(input: string, command = 'policy get'): PolicyKind {
  let name = input.trim().toLowerCase();
  const suffix = `.${POLICY_GROUP}`;
  if (name.endsWith(suffix)) name = name.slice(0, -suffix.length);
  const kind = BY_NAME.get(name);
  if (!kind) {
    throw new UsageError(`unknown policy kind "${input}"; one of: ${describeKinds().join(', ')}`, command);
  }
  return kind;
}

/** "trafficsplit.policy.weft.dev/reviews-to-v2", as kubectl names an object. */
export function qualifiedName(kind: string, name: string): string {
  return `${kind.toLowerCase()}.${POLICY_GROUP}/${name}`;
}
