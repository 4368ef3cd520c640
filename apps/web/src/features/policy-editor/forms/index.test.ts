import {
  POLICY_API_VERSION,
  POLICY_KIND_NAMES,
  POLICY_KINDS,
  validate,
  type ClusterView,
  type PolicyKind,
  type PolicyResource,
} from '@weft/schema';
import { describe, expect, it } from 'vitest';
import type { EditorContext } from '../contract.ts';
import { KIND_EDITORS } from './index.ts';

const context: EditorContext = {
  namespace: 'shop',
  service: 'reviews',
  versions: ['v1', 'v2'],
  services: ['catalog', 'pricing', 'ratings', 'reviews'],
};

/** The demo shop as validate() sees it: every service with v1, reviews with v1 and v2. */
const view: ClusterView = {
  services: context.services.map((name) => ({
    namespace: 'shop',
    name,
    versions: (name === 'reviews' ? ['v1', 'v2'] : ['v1']).map((version) => ({ version, instances: 1 })),
  })),
  routes: [],
  policies: [],
};

function editorOf(kind: PolicyKind) {
  const editor = KIND_EDITORS[kind];
  if (!editor) throw new Error(`no editor for ${kind}`);
  return editor;
}

describe('the kind editors', () => {
  it('cover every policy kind, each under its own kind', () => {
    for (const kind of POLICY_KIND_NAMES) expect(editorOf(kind).kind).toBe(kind);
  });

  it.each(POLICY_KIND_NAMES)('%s: a new policy passes the kind’s zod schema as it stands', (kind) => {
    const spec = editorOf(kind).initialSpec(context);
    const parsed = POLICY_KINDS[kind].spec.safeParse(spec);
    expect(parsed.error?.issues ?? []).toEqual([]);
    // Nothing is left for the server to fill in: the form shows every value that will be written.
    expect(parsed.data).toEqual(spec);
  });

  it.each(POLICY_KIND_NAMES)('%s: a new policy on the demo shop has no validate() finding', (kind) => {
    const spec = editorOf(kind).initialSpec(context);
    const resource = {
      apiVersion: POLICY_API_VERSION,
      kind,
      metadata: { name: `reviews-${kind.toLowerCase()}`, namespace: 'shop' },
      spec,
    } as PolicyResource;
    expect(validate(resource, view)).toEqual([]);
  });

  it.each(POLICY_KIND_NAMES)('%s: targets the Service the editor was opened for', (kind) => {
    expect(editorOf(kind).initialSpec(context).targetRef).toEqual({
      group: '',
      kind: 'Service',
      name: 'reviews',
    });
  });
});
