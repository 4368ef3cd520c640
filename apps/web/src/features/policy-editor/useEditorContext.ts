'use client';
/**
 * The choices a form offers (the target service's versions, the namespace's services), from the same
 * queries the service page uses. `settled` turns true once both answered or failed, so a new policy's
 * starting spec is built from the versions the service really has.
 */
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTRPC } from '@/lib/trpc.ts';
import { useTimeWindow } from '@/lib/window.ts';
import { compareVersions } from './canary/weights.ts';
import type { EditorContext } from './contract.ts';

export function useEditorContext(
  namespace: string,
  service: string | undefined,
): { context: EditorContext; settled: boolean } {
  const trpc = useTRPC();
  const timeWindow = useTimeWindow();
  const detail = useQuery(
    trpc.services.detail.queryOptions(
      { namespace, service: service ?? '', window: timeWindow.input },
      { enabled: Boolean(service && namespace), retry: false, staleTime: 30_000 },
    ),
  );
  const list = useQuery(
    trpc.services.list.queryOptions({ window: timeWindow.input }, { retry: false, staleTime: 30_000 }),
  );
  const versions = detail.data?.versions;
  const all = list.data;
  const context = useMemo<EditorContext>(
    () => ({
      namespace,
      service,
      versions: [...(versions ?? [])].sort(compareVersions),
      services: (all ?? [])
        .filter((s) => s.namespace === namespace)
        .map((s) => s.service)
        .sort(),
    }),
    [namespace, service, versions, all],
  );
  const settled = (!service || !detail.isPending) && !list.isPending;
  return { context, settled };
}
