import { policyResourceSchema } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import {
  countBySeverity,
  fieldIssuesOf,
  issueListId,
  issuesAt,
  issuesNotShown,
  schemaIssues,
  type PathedIssue,
} from './issues.ts';

function zodIssuesOf(resource: unknown): PathedIssue[] {
  const parsed = policyResourceSchema.safeParse(resource);
  if (parsed.success) throw new Error('expected the schema to refuse it');
  return schemaIssues(parsed.error);
}

const badSplit = {
  apiVersion: 'policy.weft.dev/v1alpha1',
  kind: 'TrafficSplit',
  metadata: { name: '', namespace: 'shop' },
  spec: { targetRef: { name: 'reviews' }, backends: [{ version: 'v1', weight: -1 }] },
};

describe('schema issues', () => {
  it('are placed at the dotted path of the field, as validate() writes paths', () => {
    const issues = fieldIssuesOf(zodIssuesOf(badSplit));
    expect(issuesAt(issues, 'spec.backends.0.weight')).toEqual([
      expect.objectContaining({ code: 'SCHEMA', severity: 'error' }),
    ]);
    expect(issuesAt(issues, 'metadata.name').map((i) => i.message)).toContain('must not be empty');
  });
});

describe('fieldIssuesOf', () => {
  const client: PathedIssue[] = [
    { code: 'SCHEMA', severity: 'error', path: 'spec.backends.0.weight', message: 'too small' },
  ];
  const server: PathedIssue[] = [
    { code: 'SCHEMA', severity: 'error', path: 'spec.backends.0.weight', message: 'Too small (server)' },
    { code: 'WEFT2002', severity: 'error', path: 'spec.backends.1.version', message: 'no instances' },
    { code: 'WEFT1004', severity: 'warning', path: 'spec.targetRef', message: 'another policy' },
    { code: 'WEFT1001', severity: 'error', path: 'spec.targetRef', message: 'no Service' },
  ];

  it("merges the client schema issues with the dry run findings, dropping the dry run's SCHEMA repeats", () => {
    const issues = fieldIssuesOf(client, server);
    expect(issuesAt(issues, 'spec.backends.0.weight')).toHaveLength(1);
    expect(issuesAt(issues, 'spec.backends.1.version')[0]?.code).toBe('WEFT2002');
    expect(countBySeverity(issues)).toEqual({ errors: 3, warnings: 1 });
  });

  it('lists errors before warnings at one path', () => {
    expect(issuesAt(fieldIssuesOf([], server), 'spec.targetRef').map((i) => i.code)).toEqual([
      'WEFT1001',
      'WEFT1004',
    ]);
  });

  it('shows a message once per path', () => {
    expect(issuesAt(fieldIssuesOf(client, client), 'spec.backends.0.weight')).toHaveLength(1);
  });
});

describe('issuesAt with subtree and the summary of what no field shows', () => {
  const issues = fieldIssuesOf([
    { code: 'WEFT2001', severity: 'error', path: 'spec.backends', message: 'sum 0' },
    { code: 'SCHEMA', severity: 'error', path: 'spec.backends.1.weight', message: 'bad' },
    { code: 'SCHEMA', severity: 'error', path: 'spec.backendsExtra', message: 'not below backends' },
    { code: 'WEFT2006', severity: 'error', path: 'spec.pins.0', message: 'one of header or cookie' },
    { code: 'X', severity: 'warning', path: '', message: 'about the whole resource' },
  ]);

  it('a subtree takes the path and everything below it, not siblings sharing a prefix', () => {
    expect(issuesAt(issues, 'spec.backends', { subtree: true }).map((i) => i.code)).toEqual([
      'WEFT2001',
      'SCHEMA',
    ]);
  });

  it('the summary keeps only paths no field on screen shows', () => {
    const rest = issuesNotShown(issues, {
      exact: new Set(['spec.backends.1.weight']),
      subtree: new Set(['spec.pins']),
    });
    expect(rest.map((i) => i.path)).toEqual(['', 'spec.backends', 'spec.backendsExtra']);
  });
});

describe('issueListId', () => {
  it('is a valid DOM id per path', () => {
    expect(issueListId('spec.backends.0.weight')).toBe('issues-spec-backends-0-weight');
    expect(issueListId('')).toBe('issues-resource');
  });
});
