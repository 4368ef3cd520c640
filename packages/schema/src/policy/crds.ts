/**
 * CustomResourceDefinitions generated from the zod schemas (kubebuilder style: the types are the source, the
 * manifests in charts/weft/crds/ are generated and checked in; `npm run crds` writes them and a test fails when
 * they are stale). zod's JSON Schema becomes a structural openAPIV3Schema: no `additionalProperties: false`
 * (the API server prunes unknown fields instead), no `$schema`, literals as one-value enums.
 */
import { z } from 'zod';
import { POLICY_GROUP, POLICY_VERSION, policyStatusSchema } from './meta.ts';
import { POLICY_KINDS, type PolicyKind } from './kinds.ts';

type JsonSchema = Record<string, unknown>;

/** JSON Schema (draft 2020-12, from zod) → Kubernetes structural schema. */
export function toStructural(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$schema' || key === 'additionalProperties' || key === '~standard') continue;
    if (key === 'const') {
      out.enum = [value];
      continue;
    }
    if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([k, v]) => [k, toStructural(v)]),
      );
      continue;
    }
    if (key === 'items' && value && typeof value === 'object') {
      out.items = toStructural(value as JsonSchema);
      continue;
    }
    out[key] = value;
  }
  // Records: a map of strings.
  const additional = schema.additionalProperties;
  if (additional && typeof additional === 'object' && !schema.properties) {
    out.additionalProperties = toStructural(additional as JsonSchema);
  }
  // Integers bounded only by JavaScript's safe range carry no meaning for the API server.
  if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
  if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
  return out;
}

function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  return toStructural(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }));
}

export function policyCrd(kind: PolicyKind): JsonSchema {
  const def = POLICY_KINDS[kind];
  const conditionColumn = (type: string) => ({
    name: type,
    type: 'string',
    jsonPath: `.status.conditions[?(@.type=="${type}")].status`,
  });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${POLICY_GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'weft' },
    },
    spec: {
      group: POLICY_GROUP,
      names: {
        kind,
        listKind: `${kind}List`,
        plural: def.plural,
        singular: kind.toLowerCase(),
        shortNames: [...def.shortNames],
        categories: ['weft', 'weft-policy'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: POLICY_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Target', type: 'string', jsonPath: '.spec.targetRef.name' },
            conditionColumn('Accepted'),
            conditionColumn('Programmed'),
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              description: `${kind}: a Weft policy (${POLICY_GROUP}/${POLICY_VERSION}).`,
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: jsonSchemaOf(def.spec),
                status: jsonSchemaOf(policyStatusSchema),
              },
            },
          },
        },
      ],
    },
  };
}

/** File name under charts/weft/crds/ → manifest. */
export function allPolicyCrds(): Map<string, JsonSchema> {
  return new Map(
    (Object.keys(POLICY_KINDS) as PolicyKind[]).map((kind) => [
      `${POLICY_KINDS[kind].plural}.${POLICY_GROUP}.yaml`,
      policyCrd(kind),
    ]),
  );
}
