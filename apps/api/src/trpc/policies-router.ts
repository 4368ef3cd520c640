/**
 * Traffic policies (policy.weft.dev/v1alpha1): read and history for viewers, apply and delete for editors,
 * and a dry run. The platform (ctx.policies) does the work and throws typed errors that map to tRPC codes
 * here: a refusal is BAD_REQUEST with the findings in `data.findings`, a stale resourceVersion is CONFLICT.
 */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import {
  dnsLabelSchema,
  objectNameSchema,
  policyKindSchema,
  policyMetadataSchema,
  type PolicyResourceInput,
} from '@weft/schema';
import {
  issuePath,
  policyInputSchema,
  PolicyStorageLimits,
  schemaFindings,
  type PolicyFinding,
} from '../policies/limits.ts';
import {
  PolicyConflictError,
  PolicyNotFoundError,
  PolicyRefusedError,
  type PolicyRef,
} from '../policies/platform.ts';
import { revertPolicy } from '../policies/revert.ts';
import { editorProcedure, router, viewerProcedure } from './trpc.ts';

const refInput = z.object({
  kind: policyKindSchema,
  namespace: dnsLabelSchema,
  name: objectNameSchema,
});

/**
 * The resource as the user wrote it. Parsed in the handler (policyInputSchema), so that apply names every bad
 * field in its message and the dry run can answer schema errors as findings instead of failing.
 */
const resourceInput = z.custom<PolicyResourceInput>(() => true);

function describeRef(ref: PolicyRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

function schemaError(error: z.ZodError): TRPCError {
  const lines = error.issues
    .slice(0, 10)
    .map((issue) => `${issuePath(issue.path) || '(resource)'}: ${issue.message}`);
  if (error.issues.length > 10) lines.push(`… and ${error.issues.length - 10} more`);
  return new TRPCError({
    code: 'BAD_REQUEST',
    message: `not a valid policy resource: ${lines.join('; ')}`,
    cause: error,
  });
}

function mapPolicyError(err: unknown): never {
  if (err instanceof PolicyRefusedError) {
    const codes = [...new Set(err.findings.filter((f) => f.severity === 'error').map((f) => f.code))].join(
      ', ',
    );
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: `refused (${codes}), nothing was stored: ${err.message}`,
      cause: err,
    });
  }
  if (err instanceof PolicyConflictError) throw new TRPCError({ code: 'CONFLICT', message: err.message });
  if (err instanceof PolicyNotFoundError) throw new TRPCError({ code: 'NOT_FOUND', message: err.message });
  if (err instanceof z.ZodError) throw schemaError(err);
  throw err;
}

export const policiesRouter = router({
  list: viewerProcedure
    .input(z.object({ kind: policyKindSchema.optional(), namespace: dnsLabelSchema.optional() }).optional())
    .query(({ ctx, input }) => ctx.policies.list(input ?? {})),

  get: viewerProcedure.input(refInput).query(async ({ ctx, input }) => {
    const stored = await ctx.policies.get(input);
    if (!stored) throw new TRPCError({ code: 'NOT_FOUND', message: `there is no ${describeRef(input)}` });
    return stored;
  }),

  /**
   * Dry run: the findings apply would act on (schema errors as code "SCHEMA"); writes nothing. A mutation only
   * so the resource travels in the body: a query's input goes in the URL, which Node caps at 16 KiB.
   */
  validate: viewerProcedure
    .input(resourceInput)
    .mutation(async ({ ctx, input }): Promise<{ findings: PolicyFinding[] }> => {
      const parsed = policyInputSchema.safeParse(input);
      if (!parsed.success) return { findings: schemaFindings(parsed.error) };
      return { findings: await ctx.policies.check(parsed.data) };
    }),

  /**
   * Apply (create or update); send metadata.resourceVersion from a read to refuse the write if the policy
   * changed since. Not named `apply`: tRPC reserves then/call/apply as procedure names.
   */
  upsert: editorProcedure.input(resourceInput).mutation(async ({ ctx, input }) => {
    const parsed = policyInputSchema.safeParse(input);
    if (!parsed.success) throw schemaError(parsed.error);
    return ctx.policies.apply(parsed.data, ctx.session.user.username).catch(mapPolicyError);
  }),

  delete: editorProcedure
    .input(refInput.extend({ resourceVersion: policyMetadataSchema.shape.resourceVersion }))
    .mutation(async ({ ctx, input }) => {
      const { resourceVersion, ...ref } = input;
      await ctx.policies.delete(ref, ctx.session.user.username, resourceVersion).catch(mapPolicyError);
      return { ok: true as const };
    }),

  /**
   * Makes revision N live again (policies/revert.ts): its spec applied, or the policy re-created or deleted,
   * recorded as a new revision. `expectedResourceVersion` is the resourceVersion the caller read (null: it saw
   * the policy deleted); a policy changed since is a CONFLICT and nothing is written.
   */
  revert: editorProcedure
    .input(
      refInput.extend({
        revision: z.number().int().min(1),
        expectedResourceVersion: policyMetadataSchema.shape.resourceVersion.unwrap().nullable(),
      }),
    )
    .mutation(({ ctx, input }) => {
      const { revision, expectedResourceVersion, ...ref } = input;
      return revertPolicy(ctx.policies, {
        ref,
        revision,
        expectedResourceVersion,
        by: ctx.session.user.username,
      }).catch(mapPolicyError);
    }),

  /** Revisions, newest first. */
  history: viewerProcedure
    .input(
      z
        .object({
          kind: policyKindSchema.optional(),
          namespace: dnsLabelSchema.optional(),
          name: objectNameSchema.optional(),
          limit: z.number().int().min(1).max(PolicyStorageLimits.maxHistory).optional(),
        })
        .optional(),
    )
    .query(({ ctx, input }) => {
      const { limit, ...ref } = input ?? {};
      return ctx.policies.history(ref, limit ?? PolicyStorageLimits.defaultHistory);
    }),
});
