'use client';
/**
 * The canary editor: how a Service's traffic splits between its versions (one slider per split point, a
 * number per version, in whole percent), header/cookie pins that send matching requests to one version,
 * promote / roll back in one click each, and beside it each version's live signals. It only edits the
 * spec; the shell validates, previews and applies.
 */
import type { TrafficSplitSpec } from '@weft/schema';
import type { KindEditor, SpecFormProps } from '../contract.ts';
import { FieldIssueList, issueProps } from '../FieldIssueList.tsx';
import { CanarySignals } from '../canary/CanarySignals.tsx';
import { versionColor } from '../canary/palette.ts';
import {
  allTo,
  backendsForVersions,
  moveSplitPoint,
  oldestAndNewest,
  percentages,
  setShare,
  splitPoints,
  type Backend,
} from '../canary/weights.ts';

type Pin = NonNullable<TrafficSplitSpec['pins']>[number];

function TrafficSplitForm({ spec, onChange, issues, context, readOnly }: SpecFormProps<'TrafficSplit'>) {
  // Every version the service has gets a row, so a new version can be given a share without typing its name.
  const backends = backendsForVersions(spec.backends, context.versions);
  const pct = percentages(backends);
  const sum = pct.reduce((a, b) => a + b, 0);
  const points = splitPoints(backends);
  const { oldest, newest } = oldestAndNewest(backends.map((b) => b.version));
  const rawWeights = backends.map((b) => b.weight);
  const relative = backends.length > 1 && rawWeights.reduce((a, b) => a + b, 0) !== 100;
  const setBackends = (next: Backend[]) => onChange({ ...spec, backends: next });
  const indexInSpec = (version: string) => spec.backends.findIndex((b) => b.version === version);
  const onlyOne = (v: string | undefined) =>
    Boolean(v) && pct[backends.findIndex((b) => b.version === v)] === 100;

  return (
    <div className="pe-canary" data-test="canary-editor">
      <div className="pe-canary-grid">
        <div className="pe-canary-controls">
          <div className="pe-subhead">
            <h3 id="canary-split-heading">Split</h3>
            <span className="pe-canary-actions">
              <button
                type="button"
                className="button"
                disabled={readOnly || !oldest || backends.length < 2 || onlyOne(oldest)}
                onClick={() => setBackends(allTo(backends, oldest!))}
                data-test="canary-rollback"
                title="Send all traffic to the oldest version"
              >
                Roll back to {oldest ?? '…'}
              </button>
              <button
                type="button"
                className="button"
                disabled={readOnly || !newest || backends.length < 2 || onlyOne(newest)}
                onClick={() => setBackends(allTo(backends, newest!))}
                data-test="canary-promote"
                title="Send all traffic to the newest version"
              >
                Promote {newest ?? '…'}
              </button>
            </span>
          </div>

          {backends.length === 0 ? (
            <div className="empty">
              No versions known for this service yet: none has registered an instance.
            </div>
          ) : (
            <>
              <div className="pe-split-bar" aria-hidden data-test="canary-bar">
                {backends.map((b, i) =>
                  pct[i] ? (
                    <span
                      key={b.version}
                      className="pe-split-segment"
                      style={{ width: `${pct[i]}%`, background: versionColor(i) }}
                      title={`${b.version} ${pct[i]}%`}
                    >
                      {pct[i] >= 8 ? `${b.version} ${pct[i]}%` : ''}
                    </span>
                  ) : null,
                )}
              </div>
              {points.map((point, i) => {
                const left = backends[i]!.version;
                const right = backends[i + 1]!.version;
                return (
                  <label key={`${left}-${right}`} className="pe-slider-row">
                    <span className="pe-slider-label">
                      <span style={{ color: versionColor(i) }}>{left}</span>
                      <span className="muted"> | </span>
                      <span style={{ color: versionColor(i + 1) }}>{right}</span>
                    </span>
                    <input
                      type="range"
                      className="pe-slider"
                      min={0}
                      max={100}
                      step={1}
                      value={point}
                      disabled={readOnly}
                      onChange={(e) => setBackends(moveSplitPoint(backends, i, Number(e.target.value)))}
                      aria-label={`Split point between ${left} and ${right}`}
                      aria-valuetext={`${left} and before ${point}%, ${right} and after ${100 - point}%`}
                      data-test="canary-slider"
                      data-index={i}
                    />
                  </label>
                );
              })}
              <table className="table pe-weights" aria-labelledby="canary-split-heading">
                <thead>
                  <tr>
                    <th>Version</th>
                    <th className="num">Weight</th>
                    <th className="pe-issues-col">
                      <span className="sr-only">Problems</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {backends.map((b, i) => {
                    const at = indexInSpec(b.version);
                    const path = at >= 0 ? `spec.backends.${at}` : `spec.backends.new-${b.version}`;
                    const known = context.versions.includes(b.version);
                    return (
                      <tr key={b.version}>
                        <td>
                          <span className="pe-swatch" style={{ background: versionColor(i) }} aria-hidden />
                          <span className="tag">{b.version}</span>
                          {!known && context.versions.length > 0 ? (
                            <span className="muted small"> no instances</span>
                          ) : null}
                        </td>
                        <td className="num">
                          <span className="pe-percent-input">
                            <input
                              className="input narrow"
                              type="number"
                              min={0}
                              max={100}
                              step={1}
                              value={pct[i]}
                              disabled={readOnly}
                              onChange={(e) => setBackends(setShare(backends, i, e.target.valueAsNumber))}
                              aria-label={`Share of ${b.version} in percent`}
                              data-test={`canary-weight-${b.version}`}
                              {...issueProps(issues, path, { subtree: true })}
                            />
                            %
                          </span>
                        </td>
                        <td>
                          <FieldIssueList issues={issues} path={path} subtree />
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
                <tfoot>
                  <tr>
                    <td className="strong">Sum</td>
                    <td className="num" data-test="canary-sum">
                      <span className={sum === 100 ? 'strong' : 'strong text-failing'}>{sum}%</span>
                    </td>
                    <td>
                      {relative ? (
                        <span className="muted small">
                          stored as relative weights {rawWeights.join(' : ')}
                        </span>
                      ) : null}
                    </td>
                  </tr>
                </tfoot>
              </table>
              <FieldIssueList issues={issues} path="spec.backends" />
            </>
          )}
        </div>

        {context.service ? (
          <CanarySignals
            namespace={context.namespace}
            service={context.service}
            versions={backends.map((b, i) => ({ version: b.version, percent: pct[i] ?? 0 }))}
          />
        ) : (
          <div className="empty pe-canary-signals">
            Per-version signals show when the split targets a Service.
          </div>
        )}

        <div className="pe-canary-pins">
          <Pins
            spec={spec}
            onChange={onChange}
            issues={issues}
            versions={backends.map((b) => b.version)}
            readOnly={readOnly}
            newest={newest}
          />
        </div>
      </div>
    </div>
  );
}

function Pins({
  spec,
  onChange,
  issues,
  versions,
  readOnly,
  newest,
}: {
  spec: TrafficSplitSpec;
  onChange: (spec: TrafficSplitSpec) => void;
  issues: SpecFormProps<'TrafficSplit'>['issues'];
  versions: readonly string[];
  readOnly: boolean;
  newest: string | undefined;
}) {
  const pins = spec.pins ?? [];
  const setPins = (next: Pin[]) => {
    const { pins: _old, ...rest } = spec;
    onChange(next.length ? { ...rest, pins: next } : rest);
  };
  const update = (index: number, pin: Pin) => setPins(pins.map((p, i) => (i === index ? pin : p)));
  return (
    <div className="pe-pins">
      <div className="pe-subhead">
        <h3 id="canary-pins-heading">Pins</h3>
        <button
          type="button"
          className="button"
          disabled={readOnly || versions.length === 0}
          onClick={() =>
            setPins([
              ...pins,
              { version: newest ?? versions[0] ?? '', header: { name: 'x-canary', value: 'true' } },
            ])
          }
          data-test="canary-pin-add"
        >
          Add pin
        </button>
      </div>
      {pins.length === 0 ? (
        <p className="muted small pe-help">
          A pin sends every request with a given header or cookie to one version, whatever the split: for
          testers and internal users.
        </p>
      ) : (
        <table className="table pe-pins-table" aria-labelledby="canary-pins-heading">
          <thead>
            <tr>
              <th>Match</th>
              <th>Name</th>
              <th>Value</th>
              <th>Version</th>
              <th className="actions-col">
                <span className="sr-only">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {pins.map((pin, i) => {
              const by = pin.cookie && !pin.header ? 'cookie' : 'header';
              const match = (by === 'cookie' ? pin.cookie : pin.header) ?? { name: '', value: '' };
              const base = `spec.pins.${i}`;
              const setMatch = (next: { name: string; value: string }, kind = by) => {
                const { header: _h, cookie: _c, ...rest } = pin;
                update(i, kind === 'cookie' ? { ...rest, cookie: next } : { ...rest, header: next });
              };
              return (
                <tr key={i} data-test="canary-pin">
                  <td>
                    <select
                      className="input narrow-select"
                      value={by}
                      disabled={readOnly}
                      onChange={(e) => setMatch(match, e.target.value)}
                      aria-label={`Pin ${i + 1}: match on`}
                    >
                      <option value="header">Header</option>
                      <option value="cookie">Cookie</option>
                    </select>
                  </td>
                  <td>
                    <input
                      className="input pe-pin-input"
                      value={match.name}
                      disabled={readOnly}
                      onChange={(e) => setMatch({ ...match, name: e.target.value })}
                      aria-label={`Pin ${i + 1}: ${by} name`}
                      {...issueProps(issues, `${base}.${by}.name`)}
                    />
                    <FieldIssueList issues={issues} path={`${base}.${by}.name`} />
                  </td>
                  <td>
                    <input
                      className="input pe-pin-input"
                      value={match.value}
                      disabled={readOnly}
                      onChange={(e) => setMatch({ ...match, value: e.target.value })}
                      aria-label={`Pin ${i + 1}: ${by} value`}
                      {...issueProps(issues, `${base}.${by}.value`)}
                    />
                    <FieldIssueList issues={issues} path={`${base}.${by}.value`} />
                  </td>
                  <td>
                    <select
                      className="input narrow-select"
                      value={pin.version}
                      disabled={readOnly}
                      onChange={(e) => update(i, { ...pin, version: e.target.value })}
                      aria-label={`Pin ${i + 1}: version`}
                      {...issueProps(issues, `${base}.version`)}
                    >
                      {[...new Set([...versions, pin.version])].map((v) => (
                        <option key={v} value={v}>
                          {v}
                        </option>
                      ))}
                    </select>
                    <FieldIssueList issues={issues} path={`${base}.version`} />
                    <FieldIssueList issues={issues} path={base} />
                  </td>
                  <td className="actions-col">
                    <button
                      type="button"
                      className="button link"
                      disabled={readOnly}
                      onClick={() => setPins(pins.filter((_, k) => k !== i))}
                      aria-label={`Remove pin ${i + 1}`}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <FieldIssueList issues={issues} path="spec.pins" />
    </div>
  );
}

export const trafficSplitEditor: KindEditor<'TrafficSplit'> = {
  kind: 'TrafficSplit',
  title: 'Canary split',
  summary:
    "How the Service's traffic is shared between its versions, with pins that send chosen requests to one version.",
  initialSpec: (context) => {
    const { oldest } = oldestAndNewest(context.versions);
    return {
      targetRef: { group: '', kind: 'Service', name: context.service ?? '' },
      // Where traffic is before a canary starts: all on the oldest version, the newer ones at 0 to move up.
      backends: context.versions.length
        ? allTo(
            context.versions.map((version) => ({ version, weight: 0 })),
            oldest!,
          )
        : [],
    };
  },
  Form: TrafficSplitForm,
};
