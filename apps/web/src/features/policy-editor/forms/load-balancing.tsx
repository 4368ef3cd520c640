'use client';
/**
 * LoadBalancingPolicy: the algorithm and its one setting, active health checks, and locality-aware routing
 * with failover to other services.
 */
import { LB_ALGORITHMS, POLICY_KINDS, type LoadBalancingPolicySpec } from '@weft/schema';
import type { EditorContext, KindEditor, SpecFormProps } from '../contract.ts';
import { optionalList, optionalText, withField } from './convert.ts';
import { serviceTargetRef } from './target.ts';
import {
  ChoiceGroup,
  DurationField,
  FieldRow,
  FormSection,
  ListEditor,
  NumberField,
  OptionalBlock,
  PathIssues,
  SpecForm,
  TextField,
} from './widgets.tsx';

const schema = POLICY_KINDS.LoadBalancingPolicy.spec;
/** Blocks are created from the schema's own defaults (`parse({})`), so no default is restated here. */
const shape = schema.shape;

type Algorithm = LoadBalancingPolicySpec['type'];
type HealthCheck = NonNullable<LoadBalancingPolicySpec['healthCheck']>;
type Locality = NonNullable<LoadBalancingPolicySpec['locality']>;
type Failover = NonNullable<Locality['failover']>[number];

const ALGORITHM_MEANING: Record<Algorithm, string> = {
  RoundRobin: 'each instance in turn',
  LeastRequest: 'the least busy of a few instances drawn at random',
  EWMA: 'the lowest recent latency × requests in flight (peak EWMA)',
  RingHash: 'consistent hashing on a header or cookie: one key keeps going to one instance',
};

/**
 * The spec after choosing another algorithm: the settings block of the new one (with its defaults), none of
 * the others', which the proxy would ignore. Health checks and locality stay.
 */
export function switchAlgorithm(spec: LoadBalancingPolicySpec, type: Algorithm): LoadBalancingPolicySpec {
  const { leastRequest, ewma, ringHash, ...rest } = spec;
  switch (type) {
    case 'LeastRequest':
      return { ...rest, type, leastRequest: leastRequest ?? shape.leastRequest.unwrap().parse({}) };
    case 'EWMA':
      return { ...rest, type, ewma: ewma ?? shape.ewma.unwrap().parse({}) };
    case 'RingHash':
      return { ...rest, type, ringHash: ringHash ?? shape.ringHash.unwrap().parse({}) };
    default:
      return { ...rest, type };
  }
}

/** A health check of /healthz, with the schema's interval, timeout and thresholds. */
export function newHealthCheck(): HealthCheck {
  return shape.healthCheck.unwrap().parse({ path: '/healthz' });
}

/** The first service in the namespace other than the target, as a failover candidate. */
export function newFailover(context: EditorContext): Failover {
  return { service: context.services.find((s) => s !== context.service) ?? '' };
}

function AlgorithmSettings({
  spec,
  onChange,
}: {
  spec: LoadBalancingPolicySpec;
  onChange: (spec: LoadBalancingPolicySpec) => void;
}) {
  switch (spec.type) {
    case 'LeastRequest':
      return (
        <FieldRow>
          <NumberField
            path="leastRequest.choices"
            label="Choices"
            unit="instances compared per request"
            value={spec.leastRequest?.choices}
            onChange={(choices) =>
              onChange({ ...spec, leastRequest: shape.leastRequest.unwrap().parse({ choices }) })
            }
          />
        </FieldRow>
      );
    case 'EWMA':
      return (
        <FieldRow>
          <DurationField
            path="ewma.decay"
            label="Decay"
            hint="how fast old latencies are forgotten"
            value={spec.ewma?.decay ?? ''}
            onChange={(decay) => onChange({ ...spec, ewma: { decay } })}
          />
        </FieldRow>
      );
    case 'RingHash': {
      const ring = spec.ringHash ?? shape.ringHash.unwrap().parse({});
      return (
        <>
          <PathIssues path="ringHash" />
          <FieldRow>
            <TextField
              path="ringHash.header"
              label="Hash on header"
              value={ring.header}
              mono
              placeholder="e.g. x-user-id"
              onChange={(header) =>
                onChange({ ...spec, ringHash: withField(ring, 'header', optionalText(header ?? '')) })
              }
            />
            <TextField
              path="ringHash.cookie"
              label="or on cookie"
              value={ring.cookie}
              mono
              placeholder="e.g. session"
              onChange={(cookie) =>
                onChange({ ...spec, ringHash: withField(ring, 'cookie', optionalText(cookie ?? '')) })
              }
            />
            <NumberField
              path="ringHash.minRingSize"
              label="Ring size"
              unit="entries"
              hint="larger: a more even spread"
              value={ring.minRingSize}
              onChange={(minRingSize) => onChange({ ...spec, ringHash: { ...ring, minRingSize } })}
            />
          </FieldRow>
        </>
      );
    }
    default:
      return null;
  }
}

function HealthCheckFields({
  check,
  onChange,
}: {
  check: HealthCheck;
  onChange: (check: HealthCheck) => void;
}) {
  return (
    <FieldRow>
      <TextField
        path="healthCheck.path"
        label="Path"
        hint="requested with GET on every instance; 2xx is healthy"
        value={check.path}
        mono
        onChange={(path) => onChange({ ...check, path })}
      />
      <DurationField
        path="healthCheck.interval"
        label="Interval"
        value={check.interval}
        onChange={(interval) => onChange({ ...check, interval })}
      />
      <DurationField
        path="healthCheck.timeout"
        label="Timeout"
        hint="at most the interval"
        value={check.timeout}
        onChange={(timeout) => onChange({ ...check, timeout })}
      />
      <NumberField
        path="healthCheck.unhealthyThreshold"
        label="Unhealthy after"
        unit="failures in a row"
        value={check.unhealthyThreshold}
        onChange={(unhealthyThreshold) => onChange({ ...check, unhealthyThreshold })}
      />
      <NumberField
        path="healthCheck.healthyThreshold"
        label="Healthy again after"
        unit="successes in a row"
        value={check.healthyThreshold}
        onChange={(healthyThreshold) => onChange({ ...check, healthyThreshold })}
      />
    </FieldRow>
  );
}

function LocalityFields({
  locality,
  onChange,
  context,
}: {
  locality: Locality;
  onChange: (locality: Locality) => void;
  context: EditorContext;
}) {
  return (
    <>
      <FieldRow>
        <NumberField
          path="locality.minHealthyPercent"
          label="Stay local while healthy"
          unit="% of the zone's instances"
          hint="below this, traffic spills to the region, then everywhere"
          value={locality.minHealthyPercent}
          onChange={(minHealthyPercent) => onChange({ ...locality, minHealthyPercent })}
        />
      </FieldRow>
      <h4 className="pe-subsection-title">Failover services, in order</h4>
      <ListEditor<Failover>
        path="locality.failover"
        noun="failover service"
        testId="locality.failover"
        items={locality.failover ?? []}
        empty="No failover: with no healthy instance left, requests fail."
        create={() => newFailover(context)}
        onChange={(failover) => onChange(withField(locality, 'failover', optionalList(failover)))}
        itemTitle={(f, i) => `${i + 1}. ${f.service || 'service'}${f.namespace ? ` (${f.namespace})` : ''}`}
        renderItem={(f, i, update) => (
          <FieldRow>
            <TextField
              path={`locality.failover.${i}.service`}
              label="Service"
              value={f.service}
              suggestions={context.services.filter((s) => s !== context.service)}
              onChange={(service) => update({ ...f, service })}
            />
            <TextField
              path={`locality.failover.${i}.namespace`}
              label="Namespace"
              value={f.namespace}
              placeholder={context.namespace}
              hint="empty: the policy's"
              onChange={(namespace) => update(withField(f, 'namespace', optionalText(namespace ?? '')))}
            />
          </FieldRow>
        )}
      />
    </>
  );
}

function LoadBalancingForm({
  spec,
  onChange,
  issues,
  context,
  readOnly,
}: SpecFormProps<'LoadBalancingPolicy'>) {
  return (
    <SpecForm schema={schema} issues={issues} readOnly={readOnly} testId="form-LoadBalancingPolicy">
      <FormSection title="Algorithm" description="How each caller's proxy picks an instance of the service.">
        <ChoiceGroup
          path="type"
          label="Algorithm"
          type="radio"
          options={LB_ALGORITHMS}
          describe={(a) => ALGORITHM_MEANING[a as Algorithm]}
          isChecked={(a) => spec.type === a}
          onToggle={(a, on) => on && onChange(switchAlgorithm(spec, a as Algorithm))}
        />
        <AlgorithmSettings spec={spec} onChange={onChange} />
      </FormSection>
      <OptionalBlock
        path="healthCheck"
        title="Active health checks"
        description="probe every instance and balance only over the healthy ones"
        value={spec.healthCheck}
        create={newHealthCheck}
        onChange={(healthCheck) => onChange(withField(spec, 'healthCheck', healthCheck))}
      >
        {(check) => (
          <HealthCheckFields check={check} onChange={(healthCheck) => onChange({ ...spec, healthCheck })} />
        )}
      </OptionalBlock>
      <OptionalBlock
        path="locality"
        title="Locality-aware routing and failover"
        description="prefer instances in the caller's zone, then region; fail over to other services when none is healthy"
        value={spec.locality}
        create={() => shape.locality.unwrap().parse({})}
        onChange={(locality) => onChange(withField(spec, 'locality', locality))}
      >
        {(locality) => (
          <LocalityFields
            locality={locality}
            context={context}
            onChange={(next) => onChange({ ...spec, locality: next })}
          />
        )}
      </OptionalBlock>
    </SpecForm>
  );
}

export const loadBalancingEditor: KindEditor<'LoadBalancingPolicy'> = {
  kind: 'LoadBalancingPolicy',
  title: 'Load balancing',
  summary: 'Choose how callers spread requests over instances, probe their health and fail over by locality.',
  initialSpec: (context) => ({
    targetRef: serviceTargetRef(context),
    type: 'LeastRequest',
    leastRequest: { choices: 2 },
  }),
  Form: LoadBalancingForm,
};
