/**
 * The console's read side: topology, services, signals, traces. Every procedure needs the viewer role.
 * The inputs, and the limits they enforce, are declared in packages/schema/src/queries.ts.
 */
import {
  resolveWindow,
  servicesDetailInputSchema,
  servicesListInputSchema,
  servicesVersionsInputSchema,
  signalsEdgeInputSchema,
  signalsServiceInputSchema,
  topologyGraphInputSchema,
  tracesGetInputSchema,
  tracesSearchInputSchema,
} from '@weft/schema';
import { router, viewerProcedure } from './trpc.ts';
import { buildTopology } from '../queries/topology.ts';
import { listServices, serviceDetail } from '../queries/services.ts';
import { versionStats } from '../queries/versions.ts';
import { serviceSignals } from '../queries/signals.ts';
import { edgeSignals } from '../queries/edge-signals.ts';
import { buildVersionTopology } from '../queries/version-graph.ts';
import { searchTraces, getTrace } from '../queries/traces.ts';

export const queryRouters = {
  topology: router({
    graph: viewerProcedure
      .input(topologyGraphInputSchema)
      .query(({ ctx, input }) =>
        (input.granularity === 'version' ? buildVersionTopology : buildTopology)(
          ctx.db,
          resolveWindow(input.window, ctx.now()),
          ctx.now(),
          input.namespaces,
        ),
      ),
  }),
  services: router({
    list: viewerProcedure
      .input(servicesListInputSchema)
      .query(({ ctx, input }) => listServices(ctx.db, resolveWindow(input.window, ctx.now()), ctx.now())),
    detail: viewerProcedure
      .input(servicesDetailInputSchema)
      .query(({ ctx, input }) =>
        serviceDetail(ctx.db, input, resolveWindow(input.window, ctx.now()), ctx.now()),
      ),
    versions: viewerProcedure
      .input(servicesVersionsInputSchema)
      .query(({ ctx, input }) =>
        versionStats(ctx.db, resolveWindow(input.window, ctx.now()), ctx.now(), input.namespace),
      ),
  }),
  signals: router({
    service: viewerProcedure
      .input(signalsServiceInputSchema)
      .query(({ ctx, input }) =>
        serviceSignals(ctx.db, input, resolveWindow(input.window, ctx.now()), input.stepMs, ctx.now()),
      ),
    edge: viewerProcedure
      .input(signalsEdgeInputSchema)
      .query(({ ctx, input }) =>
        edgeSignals(ctx.db, input, resolveWindow(input.window, ctx.now()), ctx.now(), input.stepMs),
      ),
  }),
  traces: router({
    search: viewerProcedure
      .input(tracesSearchInputSchema)
      .query(({ ctx, input }) =>
        searchTraces(ctx.db, { ...input, window: resolveWindow(input.window, ctx.now()) }),
      ),
    get: viewerProcedure
      .input(tracesGetInputSchema)
      .query(({ ctx, input }) => getTrace(ctx.db, input.traceId)),
  }),
};
