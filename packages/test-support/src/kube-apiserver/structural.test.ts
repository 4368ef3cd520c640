import { describe, expect, it } from 'vitest';
import { applyDefaults, compileValidator, prune, structuralProblems, type Schema } from './structural.ts';

const schema: Schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        ratio: { type: 'number', maximum: 1, exclusiveMaximum: true, minimum: 0 },
        note: { type: 'string', nullable: true },
        port: { 'x-kubernetes-int-or-string': true },
        at: { type: 'string', format: 'date-time' },
        size: { type: 'integer', format: 'int32' },
        nested: { type: 'object', properties: { keep: { type: 'string', default: 'd' } } },
        free: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: { typed: { type: 'integer' } },
        },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
  },
};

describe('structural schemas', () => {
  const validator = compileValidator(schema);
  const fields = (value: unknown) =>
    validator.validate(value as never).map((e) => `${e.field}: ${e.message}`);

  it('maps OpenAPI v3.0 exclusive bounds', () => {
    expect(fields({ spec: { ratio: 1 } })).toEqual([
      'spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1',
    ]);
    expect(fields({ spec: { ratio: 0.5 } })).toEqual([]);
  });

  it('accepts null only where nullable', () => {
    expect(fields({ spec: { note: null } })).toEqual([]);
  });

  it('checks int-or-string and known formats, ignores numeric formats', () => {
    expect(fields({ spec: { port: 'http', size: 3 } })).toEqual([]);
    expect(fields({ spec: { port: 1.5 } })).toHaveLength(1);
    expect(fields({ spec: { at: 'yesterday' } })).toEqual([
      'spec.at: Invalid value: "yesterday": spec.at in body must be of type date-time: "yesterday"',
    ]);
    expect(fields({ spec: { at: '2024-05-01T10:00:00Z' } })).toEqual([]);
  });

  it('prunes unknown fields but keeps preserved subtrees and root metadata', () => {
    const { value, pruned } = prune(
      {
        apiVersion: 'x/v1',
        kind: 'X',
        metadata: { name: 'a', bogus: 1 },
        spec: { unknown: 1, free: { anything: { deep: true }, typed: 2 }, labels: { a: 'b' } },
        extra: true,
      },
      schema,
      true,
    );
    expect(value).toEqual({
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'a' },
      spec: { free: { anything: { deep: true }, typed: 2 }, labels: { a: 'b' } },
    });
    expect(pruned.sort()).toEqual(['extra', 'metadata.bogus', 'spec.unknown']);
  });

  it('applies defaults and drops nulls of non-nullable fields', () => {
    expect(applyDefaults({ spec: { nested: {} } }, schema)).toEqual({ spec: { nested: { keep: 'd' } } });
    expect(applyDefaults({ spec: { nested: null } }, schema)).toEqual({ spec: {} });
  });

  it('finds non-structural schemas', () => {
    const problems = structuralProblems({ type: 'object', properties: { a: { properties: {} } } }, 'schema');
    expect(problems.map((p) => p.field)).toEqual(['schema.properties[a].type']);
  });
});
