'use client';
/**
 * RateLimitPolicy: token-bucket rules (rate per interval plus a burst), each for some routes or every request,
 * shared or one bucket per calling workload, with per-client overrides; and a cap on requests in flight.
 */
import { POLICY_KINDS, PolicyLimits, type RateLimitPolicySpec } from '@weft/schema';
import type { EditorContext, KindEditor, SpecFormProps } from '../contract.ts';
import { optionalList, optionalText, withField } from './convert.ts';
import { serviceTargetRef } from './target.ts';
import {
  CheckboxField,
  DurationField,
  FieldRow,
  FormSection,
  ListEditor,
  MatchesEditor,
  NumberField,
  OptionalBlock,
  SpecForm,
  TextField,
} from './widgets.tsx';

export type RateLimitRule = NonNullable<RateLimitPolicySpec['rules']>[number];
export type RateLimit = RateLimitRule['limit'];
export type RateLimitOverride = NonNullable<RateLimitRule['overrides']>[number];

/** What a new rule starts with: 100 requests a second with bursts of 20 more, one bucket for everyone. */
export function newRateLimitRule(): RateLimitRule {
  return { limit: { requests: 100, interval: '1s', burst: 20 }, perClient: false };
}

/** A new override for a caller (the namespace defaults to the policy's): twice the rule's rate. */
export function newOverride(rule: RateLimitRule, namespace: string): RateLimitOverride {
  return {
    client: { namespace, service: '' },
    limit: {
      ...rule.limit,
      requests: Math.min(rule.limit.requests * 2, PolicyLimits.maxRequestsPerInterval),
    },
  };
}

/** "100 per 1s + burst 20", as the proxy's own messages put it. */
export function describeLimit(limit: RateLimit): string {
  return `${limit.requests} per ${limit.interval}${limit.burst > 0 ? ` + burst ${limit.burst}` : ''}`;
}

/** The one-line title of a rule in the list: its name, its limit, and whom it counts. */
export function describeRule(rule: RateLimitRule, index: number): string {
  const scope = rule.matches?.length
    ? `${rule.matches.length} match${rule.matches.length > 1 ? 'es' : ''}`
    : 'every request';
  return `${rule.name ?? `Rule ${index + 1}`}: ${describeLimit(rule.limit)}, ${scope}${rule.perClient ? ', per client' : ''}`;
}

const schema = POLICY_KINDS.RateLimitPolicy.spec;

function LimitFields({
  path,
  limit,
  onChange,
}: {
  path: string;
  limit: RateLimit;
  onChange: (limit: RateLimit) => void;
}) {
  return (
    <FieldRow>
      <NumberField
        path={`${path}.requests`}
        label="Requests"
        unit="requests per interval"
        value={limit.requests}
        onChange={(requests) => onChange({ ...limit, requests })}
      />
      <DurationField
        path={`${path}.interval`}
        label="Interval"
        value={limit.interval}
        onChange={(interval) => onChange({ ...limit, interval })}
      />
      <NumberField
        path={`${path}.burst`}
        label="Burst"
        unit="extra requests"
        hint="allowed at once above the rate"
        value={limit.burst}
        onChange={(burst) => onChange({ ...limit, burst })}
      />
    </FieldRow>
  );
}

function RuleFields({
  path,
  rule,
  onChange,
  context,
}: {
  path: string;
  rule: RateLimitRule;
  onChange: (rule: RateLimitRule) => void;
  context: EditorContext;
}) {
  return (
    <>
      <FieldRow>
        <TextField
          path={`${path}.name`}
          label="Name"
          value={rule.name}
          hint="optional; names the rule in 429 replies and metrics"
          placeholder="e.g. per-caller"
          onChange={(name) => onChange(withField(rule, 'name', optionalText(name ?? '')))}
        />
      </FieldRow>
      <LimitFields
        path={`${path}.limit`}
        limit={rule.limit}
        onChange={(limit) => onChange({ ...rule, limit })}
      />
      <CheckboxField
        path={`${path}.perClient`}
        label="One bucket per calling workload"
        hint="each caller (its service and namespace) gets the limit for itself; off: all callers share it"
        checked={rule.perClient}
        onChange={(perClient) => onChange({ ...rule, perClient })}
      />
      <h4 className="pe-subsection-title">Routes</h4>
      <MatchesEditor
        path={`${path}.matches`}
        matches={rule.matches}
        empty="The rule counts every request. Add a match to limit only some routes."
        onChange={(matches) => onChange(withField(rule, 'matches', matches))}
      />
      <h4 className="pe-subsection-title">Overrides for named callers</h4>
      <ListEditor<RateLimitOverride>
        path={`${path}.overrides`}
        noun="override"
        testId={`${path}.override`}
        items={rule.overrides ?? []}
        reorder={false}
        empty="No caller has a limit of its own."
        create={() => newOverride(rule, context.namespace)}
        onChange={(overrides) => onChange(withField(rule, 'overrides', optionalList(overrides)))}
        itemTitle={(o, j) =>
          o.client.service
            ? `${o.client.namespace}/${o.client.service}: ${describeLimit(o.limit)}`
            : `Override ${j + 1}`
        }
        renderItem={(override, j, update) => (
          <>
            <FieldRow>
              <TextField
                path={`${path}.overrides.${j}.client.service`}
                label="Calling service"
                value={override.client.service}
                suggestions={context.services}
                onChange={(service) => update({ ...override, client: { ...override.client, service } })}
              />
              <TextField
                path={`${path}.overrides.${j}.client.namespace`}
                label="Its namespace"
                value={override.client.namespace}
                onChange={(namespace) => update({ ...override, client: { ...override.client, namespace } })}
              />
            </FieldRow>
            <LimitFields
              path={`${path}.overrides.${j}.limit`}
              limit={override.limit}
              onChange={(limit) => update({ ...override, limit })}
            />
          </>
        )}
      />
    </>
  );
}

function RateLimitForm({ spec, onChange, issues, context, readOnly }: SpecFormProps<'RateLimitPolicy'>) {
  return (
    <SpecForm schema={schema} issues={issues} readOnly={readOnly} testId="form-RateLimitPolicy">
      <FormSection
        title="Rules"
        path="rules"
        description="Every rule whose routes match a request applies; the request passes only if each of them has a token left, else it is answered 429."
      >
        <ListEditor<RateLimitRule>
          path="rules"
          noun="rule"
          testId="rule"
          items={spec.rules ?? []}
          create={newRateLimitRule}
          empty="No rules: requests are not counted (the concurrency limit below may still apply)."
          itemTitle={describeRule}
          onChange={(rules) => onChange(withField(spec, 'rules', optionalList(rules)))}
          renderItem={(rule, i, update) => (
            <RuleFields path={`rules.${i}`} rule={rule} onChange={update} context={context} />
          )}
        />
      </FormSection>
      <OptionalBlock
        path="concurrency"
        title="Limit requests in flight"
        description="requests beyond this many at once are answered 503"
        value={spec.concurrency}
        create={() => ({ maxInFlight: 100 })}
        onChange={(concurrency) => onChange(withField(spec, 'concurrency', concurrency))}
      >
        {(concurrency) => (
          <FieldRow>
            <NumberField
              path="concurrency.maxInFlight"
              label="Max in flight"
              unit="requests"
              value={concurrency.maxInFlight}
              onChange={(maxInFlight) => onChange({ ...spec, concurrency: { maxInFlight } })}
            />
          </FieldRow>
        )}
      </OptionalBlock>
    </SpecForm>
  );
}

export const rateLimitEditor: KindEditor<'RateLimitPolicy'> = {
  kind: 'RateLimitPolicy',
  title: 'Rate limit',
  summary:
    'Token buckets per route and per caller, with overrides for named callers, and a cap on requests in flight.',
  initialSpec: (context) => ({
    targetRef: serviceTargetRef(context),
    rules: [{ name: 'default', ...newRateLimitRule() }],
  }),
  Form: RateLimitForm,
};
