/**
 * The console's API. Only the `AppRouter` type leaves this package (to apps/web).
 */
import { z } from 'zod';
import { windowInputSchema, resolveWindow } from '@weft/schema';
import { publicProcedure, router } from './trpc.ts';
import { buildTopology } from '../queries/topology.ts';
import { listServices, serviceDetail } from '../queries/services.ts';
import { serviceSignals } from '../queries/signals.ts';
import { searchTraces, getTrace } from '../queries/traces.ts';

const serviceRef = { namespace: z.string().min(1), service: z.string().min(1) };

export const appRouter = router({
  topology: router({
    graph: publicProcedure
      .input(z.object({ window: windowInputSchema, namespaces: z.array(z.string()).optional() }))
      .query(({ ctx, input }) =>
        buildTopology(ctx.db, resolveWindow(input.window, ctx.now()), ctx.now(), input.namespaces),
      ),
  }),
  services: router({
    list: publicProcedure
      .input(z.object({ window: windowInputSchema }))
      .query(({ ctx, input }) => listServices(ctx.db, resolveWindow(input.window, ctx.now()), ctx.now())),
    detail: publicProcedure
      .input(z.object({ ...serviceRef, window: windowInputSchema }))
      .query(({ ctx, input }) =>
        serviceDetail(ctx.db, input, resolveWindow(input.window, ctx.now()), ctx.now()),
      ),
  }),
  signals: router({
    service: publicProcedure
      .input(
        z.object({
          ...serviceRef,
          window: windowInputSchema,
          stepMs: z
            .number()
            .int()
            .min(1000)
            .max(24 * 3600 * 1000)
            .optional(),
        }),
      )
      .query(({ ctx, input }) =>
        serviceSignals(ctx.db, input, resolveWindow(input.window, ctx.now()), input.stepMs),
      ),
  }),
  traces: router({
    search: publicProcedure
      .input(
        z.object({
          window: windowInputSchema,
          namespace: z.string().optional(),
          service: z.string().optional(),
          minDurationMs: z.number().nonnegative().optional(),
          errorsOnly: z.boolean().default(false),
          limit: z.number().int().min(1).max(500).default(50),
        }),
      )
      .query(({ ctx, input }) =>
        searchTraces(ctx.db, { ...input, window: resolveWindow(input.window, ctx.now()) }),
      ),
    get: publicProcedure
      .input(
        z.object({
          traceId: z.string().regex(/^[0-9a-f]{32}$/, 'traceId must be 32 lower-case hex characters'),
        }),
      )
      .query(({ ctx, input }) => getTrace(ctx.db, input.traceId)),
  }),
});

export type AppRouter = typeof appRouter;
