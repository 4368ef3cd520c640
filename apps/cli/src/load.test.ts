import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { POLICY_KIND_NAMES } from '@weft/schema';
import { CliError, UsageError } from './errors.ts';
import { checkResource, loadDocuments, parseDocuments } from './load.ts';

const split = (name: string, extra = '') => `apiVersion: policy.weft.dev/v1alpha1
kind: TrafficSplit
metadata:
  name: ${name}
  namespace: shop
spec:
  targetRef:
    name: reviews
  backends:
    - version: v1
      weight: 1${extra}
`;

const noStdin = () => Promise.reject(new Error('no stdin'));

describe('parseDocuments', () => {
  it('reads every document of a multi-document YAML file, skipping empty ones', () => {
    const docs = parseDocuments(`---\n${split('a')}---\n# only a comment\n---\n${split('b')}`, 'p.yaml');
    expect(docs.map((d) => d.source)).toEqual(['p.yaml (document 1)', 'p.yaml (document 2)']);
    expect(docs.map((d) => (d.value as { metadata: { name: string } }).metadata.name)).toEqual(['a', 'b']);
  });

  it('names a single document by its file alone', () => {
    expect(parseDocuments(split('a'), 'one.yml').map((d) => d.source)).toEqual(['one.yml']);
  });

  it('reads JSON objects, arrays and kind: List', () => {
    const obj = { apiVersion: 'policy.weft.dev/v1alpha1', kind: 'TrafficSplit', metadata: { name: 'a' } };
    expect(parseDocuments(JSON.stringify(obj), 'a.json')).toHaveLength(1);
    expect(parseDocuments(JSON.stringify([obj, obj]), 'a.json')).toHaveLength(2);
    expect(
      parseDocuments(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [obj, obj, obj] }), 'l.json'),
    ).toHaveLength(3);
  });

  it('says where a file is malformed', () => {
    expect(() => parseDocuments('a: [1, 2\nb: c\n', 'bad.yaml')).toThrow(
      /^bad\.yaml: not valid YAML at line \d+, column \d+/,
    );
    expect(() => parseDocuments('{"a": ', 'bad.json')).toThrow(/^bad\.json: not valid JSON/);
    expect(() => parseDocuments('{"a": ', 'bad.json')).toThrow(CliError);
  });
});

describe('loadDocuments', () => {
  it('reads a directory’s *.yaml, *.yml and *.json files in name order, ignoring others', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-cli-load-'));
    writeFileSync(path.join(dir, 'b.yaml'), split('b'));
    writeFileSync(path.join(dir, 'a.yml'), split('a'));
    writeFileSync(
      path.join(dir, 'c.json'),
      JSON.stringify({ kind: 'TrafficSplit', metadata: { name: 'c' } }),
    );
    writeFileSync(path.join(dir, 'README.md'), '# not a policy');
    writeFileSync(path.join(dir, '.hidden.yaml'), 'nope: [');
    const docs = await loadDocuments([dir], '/', noStdin, 'policy apply');
    expect(docs.map((d) => path.basename(d.source))).toEqual(['a.yml', 'b.yaml', 'c.json']);
  });

  it('reads stdin for -f -', async () => {
    const docs = await loadDocuments(['-'], '/', () => Promise.resolve(split('x')), 'policy apply');
    expect(docs).toEqual([
      { source: 'stdin', value: expect.objectContaining({ kind: 'TrafficSplit' }) as unknown },
    ]);
  });

  it('refuses a missing path (usage), an empty directory and files without resources', async () => {
    await expect(loadDocuments(['/no/such'], '/', noStdin, 'policy apply')).rejects.toThrow(UsageError);
    const empty = mkdtempSync(path.join(os.tmpdir(), 'weft-cli-empty-'));
    await expect(loadDocuments([empty], '/', noStdin, 'policy apply')).rejects.toThrow(
      'no *.yaml, *.yml or *.json files',
    );
    writeFileSync(path.join(empty, 'x.yaml'), '# nothing\n');
    await expect(loadDocuments([empty], '/', noStdin, 'policy apply')).rejects.toThrow('no resources found');
  });
});

describe('checkResource', () => {
  const check = (text: string) => checkResource(parseDocuments(text, 'f.yaml')[0]!);

  it('parses with the shared schema and fills in defaults', () => {
    const c = check(split('ok'));
    expect(c.ok).toBe(true);
    if (c.ok) {
      expect(c.id).toBe('trafficsplit.policy.weft.dev/ok');
      expect(c.resource.spec.targetRef).toEqual({ group: '', kind: 'Service', name: 'reviews' });
    }
  });

  it('names the fields that are wrong', () => {
    const c = check(split('Bad_Name').replace('weight: 1', 'weight: -5'));
    expect(c.ok).toBe(false);
    if (!c.ok) {
      expect(c.id).toBe('trafficsplit.policy.weft.dev/Bad_Name');
      expect(c.errors).toContain(
        'metadata.name: must be a DNS subdomain: lower-case letters, digits, "-" and "."',
      );
      expect(c.errors.some((e) => e.startsWith('spec.backends.0.weight: '))).toBe(true);
    }
  });

  it('refuses unknown fields, as kubectl’s strict validation does, but ignores status', () => {
    const c = check(`${split('x', '\n      wieght: 2')}  pin: []\nstatus:\n  anything: 1\n`);
    expect(c.ok).toBe(false);
    if (!c.ok) {
      expect(c.errors).toEqual([
        'spec.backends.0.wieght: unknown field "wieght"',
        'spec.pin: unknown field "pin"',
      ]);
    }
  });

  it('explains a wrong kind or apiVersion, and a document that is not a mapping', () => {
    const kind = check(split('x').replace('TrafficSplit', 'Gadget'));
    expect(kind.ok ? [] : kind.errors).toEqual([
      `kind: "Gadget" is not a Weft policy kind; one of ${POLICY_KIND_NAMES.join(', ')}`,
    ]);
    const version = check(split('x').replace('v1alpha1', 'v1'));
    expect(version.ok ? [] : version.errors).toEqual(['apiVersion: must be "policy.weft.dev/v1alpha1"']);
    const scalar = checkResource({ source: 's', value: 'hello' });
    expect(scalar.ok ? [] : scalar.errors[0]).toContain('not a policy resource');
  });
});
