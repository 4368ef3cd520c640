/**
 * Who is signed in (auth), machine tokens (admin) and people (admin). Handlers stay thin: the stores in
 * src/auth do the work and throw typed errors that map to tRPC codes here.
 */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import {
  AuthLimits,
  passwordSchema,
  roleSchema,
  tokenCreateSchema,
  usernameSchema,
  type SessionInfo,
} from '@weft/schema';
import { TokenError } from '../auth/tokens.ts';
import { UserError } from '../auth/users.ts';
import { adminProcedure, publicProcedure, router, viewerProcedure } from './trpc.ts';

function mapStoreError(err: unknown): never {
  if (err instanceof UserError || err instanceof TokenError) {
    throw new TRPCError({ code: err.code, message: err.message });
  }
  throw err;
}

const idInput = z.object({ id: z.string().min(1).max(64) });

export const authRouter = router({
  /** The signed-in user and the CSRF token for mutations, or null when signed out. */
  me: publicProcedure.query(({ ctx }): SessionInfo | null =>
    ctx.session
      ? { user: ctx.session.user, csrfToken: ctx.session.csrfToken, expiresAtMs: ctx.session.expiresAtMs }
      : null,
  ),
  changePassword: viewerProcedure
    .input(
      z.object({
        currentPassword: z.string().min(1).max(AuthLimits.maxPasswordLength),
        newPassword: passwordSchema,
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (ctx.session.user.provider !== 'local') {
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: 'this account signs in through OIDC; change the password there',
        });
      }
      const ok = await ctx.auth.users.changePassword(
        ctx.session.user.id,
        input.currentPassword,
        input.newPassword,
      );
      if (!ok) throw new TRPCError({ code: 'BAD_REQUEST', message: 'the current password is wrong' });
      return { ok: true as const };
    }),
});

export const tokensRouter = router({
  list: adminProcedure.query(({ ctx }) => ctx.auth.tokens.list(AuthLimits.maxTokensListed)),
  create: adminProcedure
    .input(tokenCreateSchema)
    .mutation(({ ctx, input }) => ctx.auth.tokens.create(input, ctx.session.user.username)),
  revoke: adminProcedure
    .input(idInput)
    .mutation(({ ctx, input }) => ctx.auth.tokens.revoke(input.id).catch(mapStoreError)),
});

export const usersRouter = router({
  list: adminProcedure.query(({ ctx }) => ctx.auth.users.list(AuthLimits.maxUsersListed)),
  create: adminProcedure
    .input(
      z.object({
        username: usernameSchema,
        displayName: z.string().max(AuthLimits.maxDisplayNameLength).optional(),
        role: roleSchema,
        password: passwordSchema,
      }),
    )
    .mutation(({ ctx, input }) => ctx.auth.users.create(input).catch(mapStoreError)),
  setRole: adminProcedure
    .input(idInput.extend({ role: roleSchema }))
    .mutation(({ ctx, input }) => ctx.auth.users.setRole(input.id, input.role).catch(mapStoreError)),
  remove: adminProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    if (input.id === ctx.session.user.id) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'you cannot remove yourself; ask another admin' });
    }
    await ctx.auth.users.remove(input.id).catch(mapStoreError);
    return { ok: true as const };
  }),
});
