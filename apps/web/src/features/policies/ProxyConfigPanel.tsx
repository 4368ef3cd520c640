'use client';
/**
 * Which proxies programmed which config version, and every NACK with the proxy's reason: every proxy gets
 * the same compiled config, so this is one panel for all the policies above (a row's Programmed condition
 * says which of them a NACK concerns). The Proxies page has the per-proxy detail.
 */
import Link from 'next/link';
import { Empty } from '@/components/ui.tsx';
import type { ProxySummary } from './proxyState.ts';

/** How many proxy ids a version row lists before "and n more". */
const MAX_IDS = 12;

export function ProxyConfigPanel({ summary }: { summary: ProxySummary }) {
  if (summary.total === 0) {
    return (
      <div className="panel" data-test="config-proxies">
        <Empty testId="config-proxies-empty">
          No proxy is connected: policies are programmed once proxies register and ACK their config.
        </Empty>
      </div>
    );
  }
  return (
    <div className="panel" data-test="config-proxies">
      <div className="panel-toolbar config-proxies-head">
        <span data-test="config-proxies-summary">
          <strong>{summary.acked}</strong> of {summary.total} proxies ACKed the latest config they were sent
          {summary.pending ? `, ${summary.pending} pending` : ''}
          {summary.nack ? (
            <>
              , <span className="text-failing">{summary.nack} NACK</span>
            </>
          ) : null}
        </span>
        <Link href="/proxies" className="small">
          Per proxy →
        </Link>
      </div>
      <table className="table compact">
        <thead>
          <tr>
            <th>Config version in force</th>
            <th className="num">Proxies</th>
            <th>Which</th>
          </tr>
        </thead>
        <tbody>
          {summary.inForce.map((group) => (
            <tr
              key={group.version ?? '(none)'}
              data-test="config-proxy-version"
              data-version={group.version ?? ''}
            >
              <td className="mono nowrap">
                {group.version ?? <span className="muted">none ACKed yet</span>}
              </td>
              <td className="num">{group.proxyIds.length}</td>
              <td className="mono small proxy-id-list">
                {group.proxyIds.slice(0, MAX_IDS).join(', ')}
                {group.proxyIds.length > MAX_IDS ? (
                  <span className="muted"> and {group.proxyIds.length - MAX_IDS} more</span>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {summary.nacks.length > 0 ? (
        <div className="config-nacks">
          <h3>NACKs</h3>
          {summary.nacks.map((p) => (
            <div key={p.proxyId} className="config-nack" data-test="config-nack" data-proxy-id={p.proxyId}>
              <div className="nack-head">
                <span className="ack-badge ack-nack">
                  <span className="dot" aria-hidden />
                  NACK
                </span>
                <span className="mono">{p.proxyId}</span>
                <span className="muted small">
                  {p.service}.{p.namespace} {p.version} refused config{' '}
                  <span className="mono">{p.nack?.version}</span>
                </span>
              </div>
              <pre className="nack-reason">{p.nack?.reason}</pre>
            </div>
          ))}
        </div>
      ) : null}
    </div>
  );
}
