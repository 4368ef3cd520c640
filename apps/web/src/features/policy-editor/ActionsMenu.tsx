'use client';
/**
 * "Actions ▾" for a service, on its page and in the graph's side panel: one item per policy kind, opening
 * the editor on the policy of that kind that already targets the whole service, or a new one. Viewers get
 * the same menu; the editor opens read-only for them.
 */
import { useQuery } from '@tanstack/react-query';
import type { PolicyKind } from '@weft/schema';
import Link from 'next/link';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useHasRole, useSession } from '@/components/Session.tsx';
import { useTRPC, type RouterOutputs } from '@/lib/trpc.ts';
import { useWindowHref } from '@/lib/window.ts';
import { editPolicyHref, newPolicyHref } from './hrefs.ts';
import { KIND_LABELS, MENU_KINDS } from './kinds.ts';
import './editor.css';

type StoredPolicy = RouterOutputs['policies']['list'][number];

/** The policy of `kind` on the whole of `service` (not one of its routes), if there is one. */
export function policyOnService(
  policies: readonly StoredPolicy[],
  kind: PolicyKind,
  service: string,
): StoredPolicy | undefined {
  return policies
    .filter((p) => p.resource.kind === kind)
    .filter((p) => {
      const ref = p.resource.spec.targetRef;
      return ref.kind === 'Service' && ref.name === service && ref.sectionName === undefined;
    })
    .sort((a, b) => a.resource.metadata.name.localeCompare(b.resource.metadata.name))[0];
}

export function ActionsMenu({
  namespace,
  service,
  align = 'right',
  direction = 'down',
}: {
  namespace: string;
  service: string;
  /** Which edge of the button the popup lines up with. */
  align?: 'left' | 'right';
  /** Up where the button sits at the bottom of a scrolling panel (the graph's side panel). */
  direction?: 'down' | 'up';
}) {
  const trpc = useTRPC();
  const href = useWindowHref();
  const isEditor = useHasRole('editor');
  // Read-only only once the session is known to lack the role (not while it loads).
  const viewerOnly = useSession().status === 'signed-in' && !isEditor;
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const policies = useQuery(trpc.policies.list.queryOptions({ namespace }, { staleTime: 5_000 }));

  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent) => {
      if (root.current && !root.current.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    // Focus the first item, as a menu button does.
    root.current?.querySelector<HTMLElement>('[role=menuitem]')?.focus();
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [open]);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'Escape') {
      setOpen(false);
      root.current?.querySelector<HTMLElement>('[aria-haspopup]')?.focus();
      return;
    }
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    event.preventDefault();
    const items = [...(root.current?.querySelectorAll<HTMLElement>('[role=menuitem]') ?? [])];
    const at = items.indexOf(document.activeElement as HTMLElement);
    const next = (at + (event.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
    items[next]?.focus();
  };

  return (
    <div className="pe-actions" ref={root} onKeyDown={onKeyDown}>
      <button
        type="button"
        className="button"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        data-test="actions-menu"
      >
        Actions <span aria-hidden>▾</span>
      </button>
      {open ? (
        <div
          className={`user-menu-popup pe-actions-popup pe-actions-${align} pe-actions-${direction}`}
          role="menu"
          aria-label={`Policies for ${service}`}
          data-test="actions-menu-popup"
        >
          <div className="user-menu-who small muted">
            {viewerOnly ? 'View the policies of' : 'Change how traffic to'} <strong>{service}</strong>
            {viewerOnly ? ' (read-only)' : ' is handled'}
          </div>
          {MENU_KINDS.map((kind) => {
            const existing = policies.data ? policyOnService(policies.data, kind, service) : undefined;
            const to = existing
              ? editPolicyHref(kind, namespace, existing.resource.metadata.name)
              : newPolicyHref(kind, namespace, service);
            return (
              <Link
                key={kind}
                role="menuitem"
                className="user-menu-item pe-actions-item"
                href={href(to)}
                onClick={() => setOpen(false)}
                data-test={`actions-${kind}`}
                data-existing={existing ? existing.resource.metadata.name : undefined}
              >
                <span>{KIND_LABELS[kind].title}…</span>
                {existing ? (
                  <span className="tag pe-actions-existing">{existing.resource.metadata.name}</span>
                ) : null}
              </Link>
            );
          })}
        </div>
      ) : null}
    </div>
  );
}
