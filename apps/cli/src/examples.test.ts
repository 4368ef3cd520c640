import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  HTTPROUTE_KIND,
  httpRouteSchema,
  POLICY_KIND_NAMES,
  policyResourceSchema,
  validate,
  type ClusterView,
} from '@weft/schema';
import { DEMO_WORKLOADS } from '../../demo/src/topology.ts';
import { checkResource, parseDocuments } from './load.ts';

const DIR = path.resolve(import.meta.dirname, '../../../examples/policies');
const files = readdirSync(DIR).filter((f) => /\.(ya?ml|json)$/.test(f));

/** The demo shop as validate() sees it: every workload in apps/demo/src/topology.ts, one instance each. */
const demo: ClusterView = {
  services: [...new Set(DEMO_WORKLOADS.map((w) => `${w.namespace}/${w.service}`))].map((id) => {
    const [namespace, name] = id.split('/') as [string, string];
    const versions = DEMO_WORKLOADS.filter((w) => w.namespace === namespace && w.service === name);
    return { namespace, name, versions: versions.map((w) => ({ version: w.version, instances: 1 })) };
  }),
  routes: [],
  policies: [],
};

describe('examples/policies', () => {
  it.each(files)(
    '%s parses with policyResourceSchema, has no unknown fields and suits the demo shop',
    (file) => {
      const text = readFileSync(path.join(DIR, file), 'utf8');
      const docs = parseAllDocuments(text).map((d) => d.toJS() as unknown);
      expect(docs.length).toBeGreaterThan(0);
      for (const doc of docs) {
        const resource = policyResourceSchema.parse(doc);
        expect(validate(resource, demo).filter((f) => f.severity === 'error')).toEqual([]);
      }
      for (const doc of parseDocuments(text, file)) expect(checkResource(doc)).toMatchObject({ ok: true });
    },
  );

  it('has one example of every kind', () => {
    const kinds = files.flatMap((f) =>
      parseAllDocuments(readFileSync(path.join(DIR, f), 'utf8')).map(
        (d) => (d.toJS() as { kind: string }).kind,
      ),
    );
    expect([...kinds].sort()).toEqual([...POLICY_KIND_NAMES].sort());
  });

  it('reviews-to-v2 sends all of reviews to v2', () => {
    const split = policyResourceSchema.parse(
      parseAllDocuments(readFileSync(path.join(DIR, 'reviews-to-v2.yaml'), 'utf8'))[0]!.toJS(),
    );
    expect(split).toMatchObject({
      kind: 'TrafficSplit',
      metadata: { name: 'reviews-to-v2', namespace: 'shop' },
      spec: {
        targetRef: { name: 'reviews' },
        backends: [
          { version: 'v1', weight: 0 },
          { version: 'v2', weight: 100 },
        ],
      },
    });
  });
});

const ROUTES_DIR = path.resolve(import.meta.dirname, '../../../examples/routes');

describe('examples/routes', () => {
  const docs = readdirSync(ROUTES_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((f) =>
      parseAllDocuments(readFileSync(path.join(ROUTES_DIR, f), 'utf8')).map((d) => d.toJS() as unknown),
    );
  const routes = docs
    .filter((d) => (d as { kind?: string }).kind === HTTPROUTE_KIND)
    .map((d) => httpRouteSchema.parse(d));
  const policies = docs.filter((d) => (d as { kind?: string }).kind !== HTTPROUTE_KIND);

  it('holds the pricing HTTPRoute, attached to the pricing Service, with named rules', () => {
    expect(routes.map((r) => `${r.metadata.namespace}/${r.metadata.name}`)).toEqual(['shop/pricing']);
    expect(routes[0]?.spec.parentRefs).toMatchObject([{ kind: 'Service', name: 'pricing' }]);
    expect(routes[0]?.spec.rules?.map((r) => r.name)).toEqual(['quote', 'prices']);
  });

  it('holds policies that validate against the demo shop with that route', () => {
    expect(policies.length).toBeGreaterThan(0);
    const view: ClusterView = {
      ...demo,
      routes: routes.map((r) => ({
        namespace: r.metadata.namespace,
        name: r.metadata.name,
        services: (r.spec.parentRefs ?? []).map((p) => p.name),
        ruleNames: (r.spec.rules ?? []).flatMap((rule) => (rule.name ? [rule.name] : [])),
        hasWeights: false,
      })),
    };
    for (const doc of policies) {
      const resource = policyResourceSchema.parse(doc);
      expect(validate(resource, view).filter((f) => f.severity === 'error')).toEqual([]);
      expect(validate(resource, demo).map((f) => f.code)).toContain('WEFT1002');
    }
  });
});
