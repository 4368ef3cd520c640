import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { isPortFree } from '../common/net.ts';
import { DEMO_WORKLOADS, OUTSIDE_SERVICES } from '../topology.ts';
import {
  allocateOutsidePorts,
  allocateWorkloadPorts,
  allPortUses,
  busyPortMessage,
  describePortScheme,
  portCollisions,
  portSpan,
} from './ports.ts';

describe('port allocation', () => {
  it('gives workload i the block base+10i: app, inbound, outbound, admin', () => {
    const ports = allocateWorkloadPorts(15000);
    expect(ports.map((p) => [p.workload.name, p.app, p.inbound, p.outbound, p.admin])).toEqual([
      ['frontend', 15000, 15001, 15002, 15003],
      ['catalog', 15010, 15011, 15012, 15013],
      ['cart', 15020, 15021, 15022, 15023],
      ['pricing', 15030, 15031, 15032, 15033],
      ['reviews-v1', 15040, 15041, 15042, 15043],
      ['reviews-v2', 15050, 15051, 15052, 15053],
      ['ratings', 15060, 15061, 15062, 15063],
      // appended later: the blocks above never move
      ['cart-2', 15070, 15071, 15072, 15073],
      ['cart-3', 15080, 15081, 15082, 15083],
      ['ratings-2', 15090, 15091, 15092, 15093],
    ]);
  });

  it('is deterministic and moves with the base', () => {
    expect(allocateWorkloadPorts(17000)).toEqual(allocateWorkloadPorts(17000));
    expect(allocateWorkloadPorts(17000)[0]!.inbound).toBe(17001);
    expect(portSpan()).toBe(94);
  });

  it('never hands out one port twice', () => {
    const all = [
      ...allocateWorkloadPorts(20000).flatMap((p) => [p.app, p.inbound, p.outbound, p.admin]),
      ...allocateOutsidePorts(20000).map((o) => o.port),
    ];
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(DEMO_WORKLOADS.length * 4 + OUTSIDE_SERVICES.length);
  });

  it('gives the services outside the mesh spare ports of the first block, inside the span', () => {
    expect(allocateOutsidePorts(15000).map((o) => [o.service.name, o.port])).toEqual([
      ['recommendations', 15008],
      ['payments-gateway', 15009],
    ]);
    const uses = allPortUses({ consolePort: 3000, apiPort: 4000, portBase: 15000 });
    expect(uses).toContainEqual({
      port: 15008,
      owner: 'recommendations (outside the mesh)',
      change: '--port-base or WEFT_PORT_BASE',
    });
    expect(portCollisions(uses)).toEqual([]);
    expect(Math.max(...uses.map((u) => u.port))).toBe(15000 + portSpan() - 1);
  });

  it('refuses a base whose block runs past 65535', () => {
    expect(() => allocateWorkloadPorts(65500)).toThrow(/does not fit: the demo uses ports 65500-65593/);
    expect(() => allocateWorkloadPorts(65535 - 93)).not.toThrow();
  });

  it('lists every port with its owner and the setting that moves it', () => {
    const uses = allPortUses({ consolePort: 3000, apiPort: 4000, portBase: 15000 });
    expect(uses).toHaveLength(2 + DEMO_WORKLOADS.length * 4 + OUTSIDE_SERVICES.length);
    expect(uses[0]).toEqual({ port: 3000, owner: 'console', change: '--console-port or WEFT_CONSOLE_PORT' });
    expect(uses).toContainEqual({
      port: 15051,
      owner: 'proxy inbound of reviews-v2',
      change: '--port-base or WEFT_PORT_BASE',
    });
    expect(portCollisions(uses)).toEqual([]);
  });

  it('leaves the console port out with --no-console', () => {
    const uses = allPortUses({ consolePort: 15001, apiPort: 4000, portBase: 15000, noConsole: true });
    expect(uses).toHaveLength(1 + DEMO_WORKLOADS.length * 4 + OUTSIDE_SERVICES.length);
    expect(uses.map((u) => u.owner)).not.toContain('console');
    expect(uses[0]).toEqual({ port: 4000, owner: 'API', change: '--api-port or WEFT_API_PORT' });
    expect(portCollisions(uses)).toEqual([]);
  });

  it('adds the Kubernetes API server port with --platform kubernetes only', () => {
    const base = { consolePort: 3000, apiPort: 4000, portBase: 15000, kubePort: 15020 };
    expect(allPortUses({ ...base, platform: 'universal' }).map((u) => u.owner)).not.toContain(
      'Kubernetes API server',
    );
    const uses = allPortUses({ ...base, platform: 'kubernetes' });
    expect(uses).toHaveLength(3 + DEMO_WORKLOADS.length * 4 + OUTSIDE_SERVICES.length);
    expect(uses).toContainEqual({
      port: 15020,
      owner: 'Kubernetes API server',
      change: '--kube-port or WEFT_KUBE_PORT',
    });
    expect(portCollisions(uses)).toEqual([
      'port 15020 is assigned twice: Kubernetes API server (--kube-port or WEFT_KUBE_PORT) and shop app of cart (--port-base or WEFT_PORT_BASE); change one of them',
    ]);
  });

  it('reports a console or API port inside the shop block', () => {
    const uses = allPortUses({ consolePort: 15001, apiPort: 4000, portBase: 15000 });
    expect(portCollisions(uses)).toEqual([
      'port 15001 is assigned twice: console (--console-port or WEFT_CONSOLE_PORT) and proxy inbound of frontend (--port-base or WEFT_PORT_BASE); change one of them',
    ]);
    expect(portCollisions(allPortUses({ consolePort: 4000, apiPort: 4000, portBase: 15000 }))).toHaveLength(
      1,
    );
  });

  it('explains a busy port with the flag and variable to change', () => {
    const config = {
      consolePort: 3000,
      apiPort: 4000,
      portBase: 15000,
      dataDir: '/x',
      rps: 15,
      noConsole: false,
      platform: 'universal' as const,
      kubePort: 16443,
    };
    const msg = busyPortMessage(
      [{ port: 3000, owner: 'console', change: '--console-port or WEFT_CONSOLE_PORT' }],
      config,
    );
    expect(msg).toContain('port 3000 (console) is already in use');
    expect(msg).toContain('--console-port or WEFT_CONSOLE_PORT (e.g. --console-port 3001)');
    expect(msg).toContain('Nothing was started.');
    const many = busyPortMessage(allPortUses(config).slice(2), config);
    expect(many).toContain('… and 36 more ports');
    expect(many).toContain('--port-base or WEFT_PORT_BASE (e.g. --port-base 16000)');
    expect(many).toContain('another Weft demo');
  });

  it('describes the scheme for --help', () => {
    expect(describePortScheme()).toContain('15000-15093');
    expect(describePortScheme()).toContain('reviews-v2=15050');
  });

  it('detects a port in use on 127.0.0.1', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    expect(await isPortFree(port)).toBe(false);
    await new Promise<void>((r) => srv.close(() => r()));
    expect(await isPortFree(port)).toBe(true);
  });
});

describe('busy port reasons', () => {
  it('tells a privileged port apart from a busy one', () => {
    const config = {
      consolePort: 80,
      apiPort: 4000,
      portBase: 15000,
      dataDir: '/x',
      rps: 15,
      noConsole: false,
      platform: 'universal' as const,
      kubePort: 16443,
    };
    const msg = busyPortMessage(
      [{ port: 80, owner: 'console', change: '--console-port or WEFT_CONSOLE_PORT', problem: 'EACCES' }],
      config,
    );
    expect(msg).toContain('port 80 (console) may not be bound by this user (EACCES');
  });
});
