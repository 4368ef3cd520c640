/**
 * Deterministic port allocation for the demo shop. Workload i (in DEMO_WORKLOADS order) owns the block
 * base + 10*i .. base + 10*i + 9, of which it uses:
 *   +0 app (the shop service itself)   +1 proxy inbound   +2 proxy outbound   +3 proxy admin
 * Default base 15000: frontend 15000-15003, catalog 15010-15013, ..., ratings-2 15090-15093.
 * The services outside the mesh (topology.ts OUTSIDE_SERVICES) take spare ports of the first block, base+8 and
 * base+9: inside the span, so nothing after the shop block (the e2e suite's Kubernetes API port at base+100 of
 * its second demo) moves or collides.
 */
import { DEMO_WORKLOADS, OUTSIDE_SERVICES, type DemoWorkload, type OutsideService } from '../topology.ts';
import { howToChange, type LauncherConfig } from './config.ts';

export const BLOCK_SIZE = 10;
export const OFFSETS = { app: 0, inbound: 1, outbound: 2, admin: 3 } as const;
export type Listener = keyof typeof OFFSETS;

export interface WorkloadPorts {
  workload: DemoWorkload;
  app: number;
  inbound: number;
  outbound: number;
  admin: number;
}

export interface PortUse {
  port: number;
  /** Set by the busy-port check: why the port cannot be bound (EADDRINUSE, EACCES...). */
  problem?: string;
  /** e.g. "proxy inbound of reviews-v2" */
  owner: string;
  /** e.g. "--port-base or WEFT_PORT_BASE" */
  change: string;
}

export function allocateWorkloadPorts(
  base: number,
  workloads: readonly DemoWorkload[] = DEMO_WORKLOADS,
): WorkloadPorts[] {
  const last = base + BLOCK_SIZE * (workloads.length - 1) + OFFSETS.admin;
  if (!Number.isInteger(base) || base < 1 || last > 65535) {
    throw new RangeError(
      `port base ${base} does not fit: the demo uses ports ${base}-${last}; choose a base between 1 and ${65535 - (last - base)}`,
    );
  }
  return workloads.map((workload, i) => {
    const b = base + BLOCK_SIZE * i;
    return {
      workload,
      app: b + OFFSETS.app,
      inbound: b + OFFSETS.inbound,
      outbound: b + OFFSETS.outbound,
      admin: b + OFFSETS.admin,
    };
  });
}

/** First offset (in the first block) of the services outside the mesh, one port each. */
export const OUTSIDE_OFFSET = 8;

export interface OutsidePorts {
  service: OutsideService;
  port: number;
}

export function allocateOutsidePorts(
  base: number,
  services: readonly OutsideService[] = OUTSIDE_SERVICES,
): OutsidePorts[] {
  if (OUTSIDE_OFFSET + services.length > BLOCK_SIZE)
    throw new RangeError(`${services.length} services outside the mesh do not fit in the first block`);
  return services.map((service, i) => ({ service, port: base + OUTSIDE_OFFSET + i }));
}

export function portSpan(workloads: readonly DemoWorkload[] = DEMO_WORKLOADS): number {
  return BLOCK_SIZE * (workloads.length - 1) + OFFSETS.admin + 1;
}

const LISTENER_LABEL: Record<Listener, string> = {
  app: 'shop app',
  inbound: 'proxy inbound',
  outbound: 'proxy outbound',
  admin: 'proxy admin',
};

/**
 * Every port the demo will bind, with who binds it and how to move it (no console port with --no-console;
 * the Kubernetes API server's only with --platform kubernetes).
 * Throws a RangeError when the shop block does not fit.
 */
export function allPortUses(
  config: Pick<LauncherConfig, 'consolePort' | 'apiPort' | 'portBase'> &
    Partial<Pick<LauncherConfig, 'noConsole' | 'platform' | 'kubePort'>>,
  workloads = DEMO_WORKLOADS,
): PortUse[] {
  const uses: PortUse[] = [];
  if (!config.noConsole)
    uses.push({ port: config.consolePort, owner: 'console', change: howToChange('consolePort') });
  uses.push({ port: config.apiPort, owner: 'API', change: howToChange('apiPort') });
  if (config.platform === 'kubernetes' && config.kubePort !== undefined)
    uses.push({ port: config.kubePort, owner: 'Kubernetes API server', change: howToChange('kubePort') });
  for (const wp of allocateWorkloadPorts(config.portBase, workloads)) {
    for (const l of Object.keys(OFFSETS) as Listener[]) {
      uses.push({
        port: wp[l],
        owner: `${LISTENER_LABEL[l]} of ${wp.workload.name}`,
        change: howToChange('portBase'),
      });
    }
  }
  for (const op of allocateOutsidePorts(config.portBase)) {
    uses.push({
      port: op.port,
      owner: `${op.service.name} (outside the mesh)`,
      change: howToChange('portBase'),
    });
  }
  return uses;
}

/** Messages for ports assigned twice (e.g. --api-port inside the shop's block). Empty when fine. */
export function portCollisions(uses: readonly PortUse[]): string[] {
  const seen = new Map<number, PortUse>();
  const out: string[] = [];
  for (const u of uses) {
    const prev = seen.get(u.port);
    if (prev) {
      out.push(
        `port ${u.port} is assigned twice: ${prev.owner} (${prev.change}) and ${u.owner} (${u.change}); change one of them`,
      );
    } else seen.set(u.port, u);
  }
  return out;
}

export function describePortScheme(base = 15000, workloads = DEMO_WORKLOADS): string {
  const span = portSpan(workloads);
  return [
    `ports: the demo shop uses ${base}-${base + span - 1} (from --port-base): workload i gets base+10*i (app),`,
    `       +1 (proxy inbound), +2 (proxy outbound), +3 (proxy admin), in this order:`,
    `       ${workloads.map((w, i) => `${w.name}=${base + BLOCK_SIZE * i}`).join(' ')}`,
    `       outside the mesh (no proxy): ${allocateOutsidePorts(base)
      .map((o) => `${o.service.name}=${o.port}`)
      .join(' ')}`,
  ].join('\n');
}

export function busyPortMessage(busy: readonly PortUse[], config: LauncherConfig): string {
  const lines: string[] = [];
  const shown = busy.slice(0, 6);
  for (const u of shown) {
    if (u.problem === undefined || u.problem === 'EADDRINUSE') {
      lines.push(`error: port ${u.port} (${u.owner}) is already in use on 127.0.0.1.`);
    } else if (u.problem === 'EACCES') {
      lines.push(
        `error: port ${u.port} (${u.owner}) may not be bound by this user (EACCES: ports below 1024 need root).`,
      );
    } else lines.push(`error: port ${u.port} (${u.owner}) cannot be bound on 127.0.0.1: ${u.problem}.`);
  }
  if (busy.length > shown.length)
    lines.push(`error: … and ${busy.length - shown.length} more ports of the demo are in use.`);
  const changes = [...new Set(busy.map((u) => u.change))];
  const example: Record<string, string> = {
    '--console-port or WEFT_CONSOLE_PORT': `e.g. --console-port ${config.consolePort + 1}`,
    '--api-port or WEFT_API_PORT': `e.g. --api-port ${config.apiPort + 1}`,
    '--kube-port or WEFT_KUBE_PORT': `e.g. --kube-port ${config.kubePort + 1}`,
    '--port-base or WEFT_PORT_BASE': `e.g. --port-base ${config.portBase + 1000 > 65000 ? 20000 : config.portBase + 1000}`,
  };
  lines.push(
    `Stop whatever listens there (ss -ltnp | grep <port>), or move the demo with ${changes
      .map((c) => `${c} (${example[c] ?? ''})`)
      .join(', ')}.`,
  );
  if (busy.length >= 4) lines.push('Is another Weft demo already running?');
  lines.push('Nothing was started.');
  return lines.join('\n');
}
