import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allPolicyCrds } from './crds.ts';

const CRD_DIR = path.resolve(import.meta.dirname, '../../../../charts/weft/crds');

function walk(node: unknown, visit: (key: string, value: unknown, at: string) => void, at = ''): void {
  if (!node || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    visit(k, v, `${at}.${k}`);
    walk(v, visit, `${at}.${k}`);
  }
}

describe('generated CRDs', () => {
  const generated = allPolicyCrds();

  it('are checked in exactly as the schemas generate them (run `npm run crds` when this fails)', () => {
    const onDisk = readdirSync(CRD_DIR).filter((f) => f.endsWith('.policy.weft.dev.yaml'));
    expect(onDisk.sort()).toEqual([...generated.keys()].sort());
    for (const [file, crd] of generated) {
      expect(parse(readFileSync(path.join(CRD_DIR, file), 'utf8')), file).toEqual(crd);
    }
  });

  it('have structural schemas: every node typed, no unions, no references, no closed objects', () => {
    for (const [file, crd] of generated) {
      walk(crd, (key, value, at) => {
        expect(['anyOf', 'oneOf', 'allOf', '$ref', '$defs', 'not'], `${file}${at}`).not.toContain(key);
        if (key === 'additionalProperties') expect(value, `${file}${at}`).not.toBe(false);
        if (key === 'properties') {
          for (const [name, prop] of Object.entries(value as Record<string, { type?: string }>)) {
            expect(prop.type, `${file}${at}.${name} has a type`).toBeDefined();
          }
        }
      });
    }
  });

  it('carry the zod limits, the status subresource, printer columns and short names', () => {
    const split = generated.get('trafficsplits.policy.weft.dev.yaml') as {
      spec: {
        names: { shortNames: string[] };
        versions: {
          subresources: unknown;
          additionalPrinterColumns: { name: string }[];
          schema: {
            openAPIV3Schema: { properties: { spec: { properties: { backends: { maxItems: number } } } } };
          };
        }[];
      };
    };
    const version = split.spec.versions[0]!;
    expect(split.spec.names.shortNames).toEqual(['ts']);
    expect(version.subresources).toEqual({ status: {} });
    expect(version.additionalPrinterColumns.map((c) => c.name)).toEqual([
      'Target',
      'Accepted',
      'Programmed',
      'Age',
    ]);
    expect(version.schema.openAPIV3Schema.properties.spec.properties.backends.maxItems).toBe(16);
  });
});
