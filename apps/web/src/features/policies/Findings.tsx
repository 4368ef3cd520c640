'use client';
/**
 * Validation findings (codes in docs/validation-codes.md): compact badges in a policy's row, and the
 * Validations list under the table with every finding of the listed policies (as Kiali lists Istio config
 * validations), each linking to its policy's row and editor.
 */
import Link from 'next/link';
import { VALIDATION_CODES } from '@weft/schema';
import { Empty } from '@/components/ui.tsx';
import { configRowTestId, editHref } from './paths.ts';
import { refOfPolicy, type PolicyFinding, type StoredPolicy } from './types.ts';

function codeTitle(code: string): string | undefined {
  return (VALIDATION_CODES as Record<string, { title: string } | undefined>)[code]?.title;
}

export function FindingCode({
  finding: f,
}: {
  finding: { code: string; severity: PolicyFinding['severity'] };
}) {
  const title = codeTitle(f.code);
  return (
    <span className={`finding-code severity-${f.severity}`} title={title ? `${f.code}: ${title}` : f.code}>
      {f.code}
    </span>
  );
}

/** A row's findings as code badges; the message on hover, in full in the Validations list. */
export function FindingBadges({ findings }: { findings: readonly PolicyFinding[] }) {
  if (findings.length === 0) return <span className="muted small">none</span>;
  return (
    <ul className="finding-badges">
      {findings.map((f, i) => (
        <li
          key={`${f.code}-${f.path}-${i}`}
          className={`finding-code severity-${f.severity}`}
          title={`${f.code}${codeTitle(f.code) ? ` (${codeTitle(f.code)})` : ''}\n${f.path ? `${f.path}: ` : ''}${f.message}`}
          data-test="policy-finding"
          data-code={f.code}
        >
          {f.code}
        </li>
      ))}
    </ul>
  );
}

const SEVERITY_RANK: Record<string, number> = { error: 0, warning: 1 };

/** Every finding of `policies`, errors first. */
export function ValidationsList({ policies }: { policies: readonly StoredPolicy[] }) {
  const rows = policies
    .flatMap((policy) => policy.findings.map((finding, index) => ({ policy, finding, index })))
    .sort(
      (a, b) =>
        (SEVERITY_RANK[a.finding.severity] ?? 2) - (SEVERITY_RANK[b.finding.severity] ?? 2) ||
        a.finding.code.localeCompare(b.finding.code),
    );
  if (rows.length === 0) {
    return (
      <div className="panel" data-test="config-findings" data-count={0}>
        <Empty testId="config-findings-empty">No findings: every listed policy passed validation.</Empty>
      </div>
    );
  }
  return (
    <div className="panel" data-test="config-findings" data-count={rows.length}>
      <table className="table validations-table">
        <thead>
          <tr>
            <th>Severity</th>
            <th>Code</th>
            <th>Policy</th>
            <th>Path</th>
            <th>Message</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ policy, finding: f, index }) => {
            const ref = refOfPolicy(policy);
            return (
              <tr
                key={`${configRowTestId(ref)}-${index}`}
                className={f.severity === 'error' ? 'row-error' : undefined}
                data-test={`finding-${f.code}`}
                data-policy={`${ref.kind}/${ref.namespace}/${ref.name}`}
                data-severity={f.severity}
              >
                <td className="nowrap">
                  <span className={`severity-label severity-label-${f.severity}`}>{f.severity}</span>
                </td>
                <td className="nowrap">
                  <FindingCode finding={f} />
                  {codeTitle(f.code) ? <div className="muted tiny">{codeTitle(f.code)}</div> : null}
                </td>
                <td className="nowrap">
                  <Link href={editHref(ref)} data-test="finding-open">
                    {ref.namespace}/{ref.name}
                  </Link>
                  <div className="muted tiny">{ref.kind}</div>
                </td>
                <td className="mono small">{f.path || <span className="muted">—</span>}</td>
                <td className="finding-message">{f.message}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
