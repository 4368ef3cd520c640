/**
 * The built-in resource types: core/v1 Namespaces, Services, Pods, ConfigMaps, Events; apps/v1 Deployments;
 * discovery.k8s.io/v1 EndpointSlices; apiextensions.k8s.io/v1 CustomResourceDefinitions.
 *
 * Each has the defaulting, server-set fields and validation the real API server applies to the fields a mesh
 * controller touches. Their schemas here are partial: they type-check and give server-side apply its list
 * topology for the fields they list, and keep any other field as sent.
 */
import { isIP } from 'node:net';
import { fieldError, type FieldError } from './errors.ts';
import { clone, deepEqual, isObject, str as asText, type Json, type JsonObject } from './json.ts';
import { ALL_VERBS, type ResourceType, type Strategy, type StrategyContext } from './resources.ts';
import { labelSelectorFromObject, toLabels } from './selectors.ts';
import { structuralProblems, type Schema } from './structural.ts';
import { validateDns1123Label, validateDns1123Subdomain } from './names.ts';

// ---------------------------------------------------------------------------------------------------------
// Schema shorthands

const preserve: Schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const intOrString: Schema = { 'x-kubernetes-int-or-string': true };
const strMap: Schema = { type: 'object', additionalProperties: str };
const atomicStrMap: Schema = { ...strMap, 'x-kubernetes-map-type': 'atomic' };
const obj = (properties: Record<string, Schema>, extra: Partial<Schema> = {}): Schema => ({
  type: 'object',
  properties,
  'x-kubernetes-preserve-unknown-fields': true,
  ...extra,
});
const atomicList = (items: Schema): Schema => ({ type: 'array', items, 'x-kubernetes-list-type': 'atomic' });
const setList = (items: Schema): Schema => ({ type: 'array', items, 'x-kubernetes-list-type': 'set' });
const mapList = (keys: string[], items: Schema): Schema => ({
  type: 'array',
  items,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': keys,
});

export const OBJECT_META_SCHEMA: Schema = {
  type: 'object',
  properties: {
    name: str,
    generateName: str,
    namespace: str,
    labels: strMap,
    annotations: strMap,
    finalizers: setList(str),
    ownerReferences: mapList(
      ['uid'],
      obj({ apiVersion: str, kind: str, name: str, uid: str, controller: bool, blockOwnerDeletion: bool }),
    ),
  },
  'x-kubernetes-preserve-unknown-fields': true,
};

const conditions = mapList(['type'], obj({ type: str, status: str, reason: str, message: str }));

const CONTAINER: Schema = obj({
  name: str,
  image: str,
  imagePullPolicy: str,
  command: atomicList(str),
  args: atomicList(str),
  workingDir: str,
  ports: mapList(
    ['containerPort'],
    obj({ name: str, containerPort: int, hostPort: int, protocol: str, hostIP: str }),
  ),
  env: mapList(['name'], obj({ name: str, value: str, valueFrom: preserve })),
  resources: preserve,
  volumeMounts: mapList(['mountPath'], obj({ name: str, mountPath: str, readOnly: bool, subPath: str })),
  readinessProbe: preserve,
  livenessProbe: preserve,
  startupProbe: preserve,
});

const POD_SPEC: Schema = obj({
  containers: mapList(['name'], CONTAINER),
  initContainers: mapList(['name'], CONTAINER),
  volumes: mapList(['name'], obj({ name: str })),
  restartPolicy: str,
  terminationGracePeriodSeconds: int,
  activeDeadlineSeconds: int,
  dnsPolicy: str,
  nodeSelector: atomicStrMap,
  serviceAccountName: str,
  serviceAccount: str,
  nodeName: str,
  hostNetwork: bool,
  schedulerName: str,
  tolerations: atomicList(preserve),
  priority: int,
  enableServiceLinks: bool,
});

const POD_TEMPLATE: Schema = obj({ metadata: OBJECT_META_SCHEMA, spec: POD_SPEC });

function root(spec: Record<string, Schema>): Schema {
  return {
    type: 'object',
    properties: { apiVersion: str, kind: str, metadata: OBJECT_META_SCHEMA, ...spec },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Shared helpers

function objAt(parent: JsonObject, key: string): JsonObject {
  const existing = parent[key];
  if (isObject(existing)) return existing;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

function setDefault(target: JsonObject, key: string, value: Json): void {
  if (target[key] === undefined || target[key] === null) target[key] = clone(value);
}

function listAt(parent: JsonObject | undefined, key: string): JsonObject[] {
  const value = parent?.[key];
  return Array.isArray(value) ? value.filter(isObject) : [];
}

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function validPort(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

function portRangeError(field: string, value: unknown): FieldError {
  return fieldError.invalid(field, value, 'must be between 1 and 65535, inclusive');
}

// ---------------------------------------------------------------------------------------------------------
// Pods and pod templates

function defaultContainer(c: JsonObject): void {
  const image = typeof c.image === 'string' ? c.image : '';
  const tag = /:([^/:@]+)$/.exec(image.split('@')[0] ?? '')?.[1];
  setDefault(
    c,
    'imagePullPolicy',
    image.includes('@') || (tag !== undefined && tag !== 'latest') ? 'IfNotPresent' : 'Always',
  );
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  setDefault(c, 'resources', {});
  for (const port of listAt(c, 'ports')) setDefault(port, 'protocol', 'TCP');
}

function defaultPodSpec(spec: JsonObject): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const c of [...listAt(spec, 'containers'), ...listAt(spec, 'initContainers')]) defaultContainer(c);
}

function validatePodSpec(
  spec: Json | undefined,
  path: string,
  restartPolicies: readonly string[],
): FieldError[] {
  const errors: FieldError[] = [];
  const s = isObject(spec) ? spec : {};
  const containers = listAt(s, 'containers');
  if (containers.length === 0) errors.push(fieldError.required(`${path}.containers`));
  for (const key of ['containers', 'initContainers']) {
    const names = new Set<string>();
    listAt(s, key).forEach((c, i) => {
      const at = `${path}.${key}[${i}]`;
      if (typeof c.name !== 'string' || c.name === '') errors.push(fieldError.required(`${at}.name`));
      else {
        errors.push(...validateDns1123Label(`${at}.name`, c.name));
        if (names.has(c.name)) errors.push(fieldError.duplicate(`${at}.name`, c.name));
        names.add(c.name);
      }
      if (typeof c.image !== 'string' || c.image.trim() === '')
        errors.push(fieldError.required(`${at}.image`));
      listAt(c, 'ports').forEach((p, j) => {
        if (!validPort(p.containerPort))
          errors.push(portRangeError(`${at}.ports[${j}].containerPort`, p.containerPort ?? 0));
        if (p.protocol !== undefined && !PROTOCOLS.includes(asText(p.protocol))) {
          errors.push(fieldError.notSupported(`${at}.ports[${j}].protocol`, p.protocol, PROTOCOLS));
        }
      });
    });
  }
  if (s.restartPolicy !== undefined && !restartPolicies.includes(asText(s.restartPolicy))) {
    errors.push(fieldError.notSupported(`${path}.restartPolicy`, s.restartPolicy, restartPolicies));
  }
  return errors;
}

/** The pod spec fields an update may change; everything else is immutable. */
function podSpecMutableStripped(spec: Json | undefined): Json {
  if (!isObject(spec)) return {};
  const copy = clone(spec);
  for (const key of ['containers', 'initContainers']) {
    for (const c of listAt(copy, key)) delete c.image;
  }
  delete copy.activeDeadlineSeconds;
  delete copy.tolerations;
  delete copy.terminationGracePeriodSeconds;
  delete copy.schedulingGates;
  return copy;
}

const podStrategy: Strategy = {
  prepareForCreate(pod) {
    const spec = objAt(pod, 'spec');
    defaultPodSpec(spec);
    // Set by the ServiceAccount admission plugin on a real cluster.
    setDefault(spec, 'serviceAccountName', 'default');
    setDefault(spec, 'serviceAccount', spec.serviceAccountName ?? 'default');
    setDefault(spec, 'enableServiceLinks', true);
    setDefault(spec, 'priority', 0);
    pod.status = { phase: 'Pending', qosClass: 'BestEffort' };
  },
  prepareForUpdate(pod) {
    defaultPodSpec(objAt(pod, 'spec'));
  },
  validate(pod) {
    return validatePodSpec(pod.spec, 'spec', ['Always', 'OnFailure', 'Never']);
  },
  validateUpdate(pod, old) {
    if (!deepEqual(podSpecMutableStripped(pod.spec), podSpecMutableStripped(old.spec))) {
      return [
        fieldError.forbidden(
          'spec',
          'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
        ),
      ];
    }
    return [];
  },
  fieldAttrs(pod) {
    const spec = isObject(pod.spec) ? pod.spec : {};
    const status = isObject(pod.status) ? pod.status : {};
    return {
      'spec.nodeName': asText(spec.nodeName ?? ''),
      'spec.restartPolicy': asText(spec.restartPolicy ?? ''),
      'spec.schedulerName': asText(spec.schedulerName ?? ''),
      'spec.serviceAccountName': asText(spec.serviceAccountName ?? ''),
      'spec.hostNetwork': asText(spec.hostNetwork ?? false),
      'status.phase': asText(status.phase ?? ''),
      'status.podIP': asText(status.podIP ?? ''),
      'status.nominatedNodeName': asText(status.nominatedNodeName ?? ''),
    };
  },
  deleteReturnsObject: true,
};

// ---------------------------------------------------------------------------------------------------------
// Deployments

const deploymentStrategy: Strategy = {
  prepareForCreate(d) {
    defaultDeployment(d);
    d.status = {};
  },
  prepareForUpdate(d) {
    defaultDeployment(d);
  },
  validate(d) {
    const errors: FieldError[] = [];
    const spec = isObject(d.spec) ? d.spec : {};
    if (typeof spec.replicas === 'number' && spec.replicas < 0) {
      errors.push(fieldError.invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
    }
    const selector = spec.selector;
    const template = isObject(spec.template) ? spec.template : {};
    const templateLabels =
      isObject(template.metadata) && isObject(template.metadata.labels) ? template.metadata.labels : {};
    if (!isObject(selector)) errors.push(fieldError.required('spec.selector'));
    else {
      const hasTerms =
        (isObject(selector.matchLabels) && Object.keys(selector.matchLabels).length > 0) ||
        (Array.isArray(selector.matchExpressions) && selector.matchExpressions.length > 0);
      if (!hasTerms)
        errors.push(
          fieldError.invalid('spec.selector', selector, 'empty selector is invalid for deployment'),
        );
      else if (!labelSelectorFromObject(selector).matches(toLabels(templateLabels))) {
        errors.push(
          fieldError.invalid(
            'spec.template.metadata.labels',
            templateLabels,
            '`selector` does not match template `labels`',
          ),
        );
      }
    }
    errors.push(...validatePodSpec(template.spec, 'spec.template.spec', ['Always']));
    const strategy = isObject(spec.strategy) ? spec.strategy : {};
    if (strategy.type !== undefined && strategy.type !== 'RollingUpdate' && strategy.type !== 'Recreate') {
      errors.push(
        fieldError.notSupported('spec.strategy.type', strategy.type, ['Recreate', 'RollingUpdate']),
      );
    }
    return errors;
  },
  validateUpdate(d, old) {
    const selector = isObject(d.spec) ? d.spec.selector : undefined;
    const oldSelector = isObject(old.spec) ? old.spec.selector : undefined;
    return deepEqual(selector, oldSelector) ? [] : [fieldError.immutable('spec.selector', selector)];
  },
};

function defaultDeployment(d: JsonObject): void {
  const spec = objAt(d, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = objAt(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rolling = objAt(strategy, 'rollingUpdate');
    setDefault(rolling, 'maxUnavailable', '25%');
    setDefault(rolling, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  const template = objAt(spec, 'template');
  defaultPodSpec(objAt(template, 'spec'));
}

// ---------------------------------------------------------------------------------------------------------
// Services

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

function allocateClusterIP(ctx: StrategyContext): string {
  const used = ctx.usedClusterIPs();
  // 10.96.0.0/12 as kubeadm sets it up; .1 is the `kubernetes` service.
  for (let n = 1; n < 1 << 20; n++) {
    const ip = `10.${96 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
    if ((n & 255) !== 0 && !used.has(ip)) return ip;
  }
  throw new Error('service IP range exhausted');
}

function allocateNodePort(ctx: StrategyContext, taken: Set<number>): number {
  const used = ctx.usedNodePorts();
  for (let port = 30000; port <= 32767; port++) {
    if (!used.has(port) && !taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('node port range exhausted');
}

function defaultService(svc: JsonObject, ctx: StrategyContext, old?: JsonObject): void {
  const spec = objAt(svc, 'spec');
  const oldSpec = old && isObject(old.spec) ? old.spec : undefined;
  setDefault(spec, 'type', 'ClusterIP');
  const type = asText(spec.type);
  if (type !== 'ExternalName') setDefault(spec, 'sessionAffinity', 'None');
  for (const port of listAt(spec, 'ports')) {
    setDefault(port, 'protocol', 'TCP');
    if (type !== 'ExternalName') setDefault(port, 'targetPort', port.port ?? 0);
  }
  if (type === 'ExternalName') return;
  if (
    (spec.clusterIP === undefined || spec.clusterIP === '') &&
    oldSpec &&
    typeof oldSpec.clusterIP === 'string'
  ) {
    spec.clusterIP = oldSpec.clusterIP;
    if (spec.clusterIPs === undefined && oldSpec.clusterIPs !== undefined)
      spec.clusterIPs = clone(oldSpec.clusterIPs);
  }
  if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = allocateClusterIP(ctx);
  setDefault(spec, 'clusterIPs', [spec.clusterIP]);
  if (spec.clusterIP !== 'None') {
    setDefault(spec, 'ipFamilies', ['IPv4']);
    setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
  }
  setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (type === 'NodePort' || type === 'LoadBalancer') {
    setDefault(spec, 'externalTrafficPolicy', 'Cluster');
    const taken = new Set<number>();
    const oldPorts = oldSpec ? listAt(oldSpec, 'ports') : [];
    for (const port of listAt(spec, 'ports')) {
      if (port.nodePort === undefined) {
        const previous = oldPorts.find(
          (p) => p.port === port.port && (p.protocol ?? 'TCP') === port.protocol,
        );
        port.nodePort =
          typeof previous?.nodePort === 'number' ? previous.nodePort : allocateNodePort(ctx, taken);
      }
    }
  }
}

const serviceStrategy: Strategy = {
  prepareForCreate(svc, ctx) {
    defaultService(svc, ctx);
    svc.status = { loadBalancer: {} };
  },
  prepareForUpdate(svc, old, ctx) {
    defaultService(svc, ctx, old);
  },
  validate(svc) {
    const errors: FieldError[] = [];
    const spec = isObject(svc.spec) ? svc.spec : {};
    const type = asText(spec.type ?? 'ClusterIP');
    if (!SERVICE_TYPES.includes(type)) errors.push(fieldError.notSupported('spec.type', type, SERVICE_TYPES));
    const ports = listAt(spec, 'ports');
    const headless = spec.clusterIP === 'None';
    if (type === 'ExternalName') {
      if (typeof spec.externalName !== 'string' || spec.externalName === '')
        errors.push(fieldError.required('spec.externalName'));
    } else if (ports.length === 0 && !headless) errors.push(fieldError.required('spec.ports'));
    if (headless && (type === 'NodePort' || type === 'LoadBalancer')) {
      errors.push(
        fieldError.invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${type} services`),
      );
    }
    if (
      typeof spec.clusterIP === 'string' &&
      spec.clusterIP !== '' &&
      spec.clusterIP !== 'None' &&
      isIP(spec.clusterIP) === 0
    ) {
      errors.push(fieldError.invalid('spec.clusterIPs[0]', spec.clusterIP, 'must be a valid IP address'));
    }
    const names = new Set<string>();
    ports.forEach((port, i) => {
      const at = `spec.ports[${i}]`;
      if (ports.length > 1 && (typeof port.name !== 'string' || port.name === ''))
        errors.push(fieldError.required(`${at}.name`));
      if (typeof port.name === 'string' && port.name !== '') {
        errors.push(...validateDns1123Label(`${at}.name`, port.name));
        if (names.has(port.name)) errors.push(fieldError.duplicate(`${at}.name`, port.name));
        names.add(port.name);
      }
      if (!validPort(port.port)) errors.push(portRangeError(`${at}.port`, port.port ?? 0));
      if (port.protocol !== undefined && !PROTOCOLS.includes(asText(port.protocol))) {
        errors.push(fieldError.notSupported(`${at}.protocol`, port.protocol, PROTOCOLS));
      }
      const target = port.targetPort;
      if (typeof target === 'number' && !validPort(target))
        errors.push(portRangeError(`${at}.targetPort`, target));
      if (
        typeof target === 'string' &&
        (target.length > 15 || !IANA_SVC_NAME.test(target) || !/[a-z]/.test(target))
      ) {
        errors.push(
          fieldError.invalid(
            `${at}.targetPort`,
            target,
            'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
          ),
        );
      }
    });
    return errors;
  },
  validateUpdate(svc, old) {
    const spec = isObject(svc.spec) ? svc.spec : {};
    const oldSpec = isObject(old.spec) ? old.spec : {};
    const bothNeedIP = spec.type !== 'ExternalName' && oldSpec.type !== 'ExternalName';
    if (bothNeedIP && typeof oldSpec.clusterIP === 'string' && spec.clusterIP !== oldSpec.clusterIP) {
      return [
        fieldError.invalid(
          'spec.clusterIPs[0]',
          spec.clusterIPs ?? [spec.clusterIP ?? ''],
          'may not change once set',
        ),
      ];
    }
    return [];
  },
  fieldAttrs(svc) {
    const spec = isObject(svc.spec) ? svc.spec : {};
    return { 'spec.clusterIP': asText(spec.clusterIP ?? ''), 'spec.type': asText(spec.type ?? '') };
  },
  deleteReturnsObject: true,
};

// ---------------------------------------------------------------------------------------------------------
// Namespaces

const namespaceStrategy: Strategy = {
  prepareForCreate(ns) {
    const meta = objAt(ns, 'metadata');
    objAt(meta, 'labels')['kubernetes.io/metadata.name'] = asText(meta.name ?? '');
    ns.spec = { finalizers: ['kubernetes'] };
    ns.status = { phase: 'Active' };
  },
  prepareForUpdate(ns, old) {
    const meta = objAt(ns, 'metadata');
    objAt(meta, 'labels')['kubernetes.io/metadata.name'] = asText(meta.name ?? '');
    if (ns.spec === undefined) ns.spec = clone(old.spec ?? {});
  },
  fieldAttrs(ns) {
    return { 'status.phase': asText(isObject(ns.status) ? (ns.status.phase ?? '') : '') };
  },
  deleteReturnsObject: true,
  undeletable: ['default', 'kube-system', 'kube-public'],
};

// ---------------------------------------------------------------------------------------------------------
// ConfigMaps

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

const configMapStrategy: Strategy = {
  validate(cm) {
    const errors: FieldError[] = [];
    for (const field of ['data', 'binaryData']) {
      const data = cm[field];
      if (!isObject(data)) continue;
      for (const key of Object.keys(data)) {
        if (!CONFIG_KEY.test(key) || key.length > 253) {
          errors.push(
            fieldError.invalid(
              `${field}[${key}]`,
              key,
              "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
            ),
          );
        }
      }
    }
    return errors;
  },
  validateUpdate(cm, old) {
    if (old.immutable === true) {
      const errors: FieldError[] = [];
      if (!deepEqual(cm.data, old.data))
        errors.push(fieldError.forbidden('data', 'field is immutable when `immutable` is set'));
      if (!deepEqual(cm.binaryData, old.binaryData))
        errors.push(fieldError.forbidden('binaryData', 'field is immutable when `immutable` is set'));
      if (cm.immutable !== true)
        errors.push(fieldError.forbidden('immutable', 'field is immutable when `immutable` is set'));
      return errors;
    }
    return [];
  },
};

// ---------------------------------------------------------------------------------------------------------
// Events (core/v1, what controllers' event recorders write)

const eventStrategy: Strategy = {
  validate(ev) {
    const errors: FieldError[] = [];
    const involved = isObject(ev.involvedObject) ? ev.involvedObject : undefined;
    if (!involved) errors.push(fieldError.required('involvedObject'));
    const namespace = isObject(ev.metadata) ? ev.metadata.namespace : undefined;
    if (involved && involved.namespace !== undefined && involved.namespace !== namespace) {
      errors.push(
        fieldError.invalid('involvedObject.namespace', involved.namespace, 'does not match event.namespace'),
      );
    }
    return errors;
  },
  fieldAttrs(ev) {
    const involved = isObject(ev.involvedObject) ? ev.involvedObject : {};
    return {
      'involvedObject.kind': asText(involved.kind),
      'involvedObject.name': asText(involved.name),
      'involvedObject.namespace': asText(involved.namespace),
      'involvedObject.uid': asText(involved.uid),
      'involvedObject.apiVersion': asText(involved.apiVersion),
      'involvedObject.resourceVersion': asText(involved.resourceVersion),
      'involvedObject.fieldPath': asText(involved.fieldPath),
      reason: asText(ev.reason),
      type: asText(ev.type),
      source: asText(isObject(ev.source) ? ev.source.component : ''),
    };
  },
};

// ---------------------------------------------------------------------------------------------------------
// EndpointSlices

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];

const endpointSliceStrategy: Strategy = {
  prepareForCreate(eps) {
    for (const port of listAt(eps, 'ports')) {
      setDefault(port, 'name', '');
      setDefault(port, 'protocol', 'TCP');
    }
  },
  prepareForUpdate(eps) {
    for (const port of listAt(eps, 'ports')) {
      setDefault(port, 'name', '');
      setDefault(port, 'protocol', 'TCP');
    }
  },
  validate(eps) {
    const errors: FieldError[] = [];
    const addressType = eps.addressType;
    if (addressType === undefined || addressType === '') errors.push(fieldError.required('addressType'));
    else if (!ADDRESS_TYPES.includes(asText(addressType)))
      errors.push(fieldError.notSupported('addressType', addressType, ADDRESS_TYPES));
    const endpoints = listAt(eps, 'endpoints');
    if (endpoints.length > 1000) errors.push(fieldError.tooMany('endpoints', endpoints.length, 1000));
    endpoints.forEach((ep, i) => {
      const addresses = Array.isArray(ep.addresses) ? ep.addresses : [];
      if (addresses.length === 0)
        errors.push(fieldError.required(`endpoints[${i}].addresses`, 'must contain at least 1 address'));
      if (addresses.length > 100)
        errors.push(fieldError.tooMany(`endpoints[${i}].addresses`, addresses.length, 100));
      addresses.forEach((address, j) => {
        const at = `endpoints[${i}].addresses[${j}]`;
        if (addressType === 'IPv4' && isIP(asText(address)) !== 4)
          errors.push(fieldError.invalid(at, address, 'must be a valid IPv4 address'));
        if (addressType === 'IPv6' && isIP(asText(address)) !== 6)
          errors.push(fieldError.invalid(at, address, 'must be a valid IPv6 address'));
        if (addressType === 'FQDN') errors.push(...validateDns1123Subdomain(at, asText(address)));
      });
    });
    const ports = listAt(eps, 'ports');
    if (ports.length > 100) errors.push(fieldError.tooMany('ports', ports.length, 100));
    const names = new Set<string>();
    ports.forEach((port, i) => {
      const at = `ports[${i}]`;
      const name = typeof port.name === 'string' ? port.name : '';
      if (name !== '') errors.push(...validateDns1123Label(`${at}.name`, name));
      if (names.has(name)) errors.push(fieldError.duplicate(`${at}.name`, name));
      names.add(name);
      if (port.port !== undefined && port.port !== null && !validPort(port.port))
        errors.push(portRangeError(`${at}.port`, port.port));
      if (port.protocol !== undefined && !PROTOCOLS.includes(asText(port.protocol))) {
        errors.push(fieldError.notSupported(`${at}.protocol`, port.protocol, PROTOCOLS));
      }
    });
    return errors;
  },
  validateUpdate(eps, old) {
    return eps.addressType === old.addressType ? [] : [fieldError.immutable('addressType', eps.addressType)];
  },
};

// ---------------------------------------------------------------------------------------------------------
// CustomResourceDefinitions

const crdStrategy: Strategy = {
  prepareForCreate(crd) {
    defaultCrd(crd);
  },
  prepareForUpdate(crd) {
    defaultCrd(crd);
  },
  validate(crd) {
    return validateCrd(crd);
  },
  validateUpdate(crd, old) {
    const errors: FieldError[] = [];
    const spec = isObject(crd.spec) ? crd.spec : {};
    const oldSpec = isObject(old.spec) ? old.spec : {};
    if (spec.scope !== oldSpec.scope) errors.push(fieldError.immutable('spec.scope', spec.scope));
    if (spec.group !== oldSpec.group) errors.push(fieldError.immutable('spec.group', spec.group));
    return errors;
  },
};

function defaultCrd(crd: JsonObject): void {
  const spec = objAt(crd, 'spec');
  const names = objAt(spec, 'names');
  if (typeof names.kind === 'string') {
    setDefault(names, 'listKind', `${names.kind}List`);
    setDefault(names, 'singular', names.kind.toLowerCase());
  }
  setDefault(spec, 'conversion', { strategy: 'None' });
}

function validateCrd(crd: JsonObject): FieldError[] {
  const errors: FieldError[] = [];
  const spec = isObject(crd.spec) ? crd.spec : {};
  const names = isObject(spec.names) ? spec.names : {};
  const group = typeof spec.group === 'string' ? spec.group : '';
  const plural = typeof names.plural === 'string' ? names.plural : '';
  const name = isObject(crd.metadata) ? asText(crd.metadata.name ?? '') : '';
  if (group === '') errors.push(fieldError.required('spec.group'));
  else if (!group.includes('.'))
    errors.push(fieldError.invalid('spec.group', group, 'should be a domain with at least one dot'));
  else errors.push(...validateDns1123Subdomain('spec.group', group));
  if (plural === '') errors.push(fieldError.required('spec.names.plural'));
  else errors.push(...validateDns1123Label('spec.names.plural', plural));
  if (typeof names.kind !== 'string' || names.kind === '')
    errors.push(fieldError.required('spec.names.kind'));
  if (typeof names.singular === 'string' && names.singular !== '')
    errors.push(...validateDns1123Label('spec.names.singular', names.singular));
  if (Array.isArray(names.shortNames)) {
    names.shortNames.forEach((s, i) =>
      errors.push(...validateDns1123Label(`spec.names.shortNames[${i}]`, asText(s))),
    );
  }
  if (name !== `${plural}.${group}`)
    errors.push(fieldError.invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    errors.push(
      spec.scope === undefined
        ? fieldError.required('spec.scope')
        : fieldError.notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']),
    );
  }
  const versions = listAt(spec, 'versions');
  if (versions.length === 0)
    errors.push(
      fieldError.invalid('spec.versions', [], 'must have exactly one version marked as storage version'),
    );
  const storage = versions.filter((v) => v.storage === true);
  if (versions.length > 0 && storage.length !== 1) {
    errors.push(
      fieldError.invalid(
        'spec.versions',
        storage.map((v) => asText(v.name)),
        'must have exactly one version marked as storage version',
      ),
    );
  }
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    const at = `spec.versions[${i}]`;
    if (typeof v.name !== 'string' || v.name === '') errors.push(fieldError.required(`${at}.name`));
    else {
      errors.push(...validateDns1123Label(`${at}.name`, v.name));
      if (seen.has(v.name)) errors.push(fieldError.duplicate(`${at}.name`, v.name));
      seen.add(v.name);
    }
    if (typeof v.served !== 'boolean') errors.push(fieldError.required(`${at}.served`));
    if (typeof v.storage !== 'boolean') errors.push(fieldError.required(`${at}.storage`));
    const schema = isObject(v.schema) ? v.schema.openAPIV3Schema : undefined;
    if (!isObject(schema))
      errors.push(fieldError.required(`${at}.schema.openAPIV3Schema`, 'schemas are required'));
    else errors.push(...structuralProblems(schema, `${at}.schema.openAPIV3Schema`));
  });
  return errors;
}

// ---------------------------------------------------------------------------------------------------------

function builtin(
  t: Omit<
    ResourceType,
    'listKind' | 'verbs' | 'isCustom' | 'categories' | 'shortNames' | 'versions' | 'storageVersion'
  > & {
    version: string;
    schema: Schema;
    shortNames?: string[];
    categories?: string[];
    verbs?: string[];
  },
): ResourceType {
  const { version, schema, ...rest } = t;
  return {
    ...rest,
    versions: [{ name: version, schema }],
    storageVersion: version,
    listKind: `${t.kind}List`,
    verbs: t.verbs ?? ALL_VERBS,
    isCustom: false,
    shortNames: t.shortNames ?? [],
    categories: t.categories ?? [],
  };
}

export function builtinTypes(): ResourceType[] {
  return [
    builtin({
      group: '',
      version: 'v1',
      plural: 'namespaces',
      singular: 'namespace',
      kind: 'Namespace',
      namespaced: false,
      shortNames: ['ns'],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      statusSubresource: true,
      generation: 'none',
      allowUnconditionalUpdate: true,
      nameRule: 'label',
      schema: root({ spec: obj({ finalizers: atomicList(str) }), status: obj({ phase: str, conditions }) }),
      strategy: namespaceStrategy,
    }),
    builtin({
      group: '',
      version: 'v1',
      plural: 'services',
      singular: 'service',
      kind: 'Service',
      namespaced: true,
      shortNames: ['svc'],
      categories: ['all'],
      statusSubresource: true,
      generation: 'none',
      allowUnconditionalUpdate: true,
      nameRule: 'dns1035',
      schema: root({
        spec: obj({
          type: str,
          selector: atomicStrMap,
          ports: mapList(
            ['port'],
            obj({
              name: str,
              port: int,
              targetPort: intOrString,
              protocol: str,
              nodePort: int,
              appProtocol: str,
            }),
          ),
          clusterIP: str,
          clusterIPs: atomicList(str),
          externalName: str,
          sessionAffinity: str,
          ipFamilies: atomicList(str),
          ipFamilyPolicy: str,
          internalTrafficPolicy: str,
          externalTrafficPolicy: str,
          publishNotReadyAddresses: bool,
        }),
        status: preserve,
      }),
      strategy: serviceStrategy,
    }),
    builtin({
      group: '',
      version: 'v1',
      plural: 'pods',
      singular: 'pod',
      kind: 'Pod',
      namespaced: true,
      shortNames: ['po'],
      categories: ['all'],
      statusSubresource: true,
      generation: 'spec',
      allowUnconditionalUpdate: true,
      nameRule: 'subdomain',
      schema: root({
        spec: POD_SPEC,
        status: obj({
          phase: str,
          podIP: str,
          podIPs: atomicList(preserve),
          hostIP: str,
          conditions,
          containerStatuses: atomicList(preserve),
        }),
      }),
      strategy: podStrategy,
    }),
    builtin({
      group: '',
      version: 'v1',
      plural: 'configmaps',
      singular: 'configmap',
      kind: 'ConfigMap',
      namespaced: true,
      shortNames: ['cm'],
      statusSubresource: false,
      generation: 'none',
      allowUnconditionalUpdate: true,
      nameRule: 'subdomain',
      schema: root({ data: strMap, binaryData: strMap, immutable: bool }),
      strategy: configMapStrategy,
    }),
    builtin({
      group: '',
      version: 'v1',
      plural: 'events',
      singular: 'event',
      kind: 'Event',
      namespaced: true,
      shortNames: ['ev'],
      statusSubresource: false,
      generation: 'none',
      allowUnconditionalUpdate: true,
      nameRule: 'subdomain',
      schema: root({
        involvedObject: preserve,
        reason: str,
        message: str,
        type: str,
        count: int,
        source: preserve,
      }),
      strategy: eventStrategy,
    }),
    builtin({
      group: 'apps',
      version: 'v1',
      plural: 'deployments',
      singular: 'deployment',
      kind: 'Deployment',
      namespaced: true,
      shortNames: ['deploy'],
      categories: ['all'],
      statusSubresource: true,
      generation: 'specOrAnnotations',
      allowUnconditionalUpdate: true,
      nameRule: 'subdomain',
      schema: root({
        spec: obj({
          replicas: int,
          selector: obj(
            { matchLabels: strMap, matchExpressions: atomicList(preserve) },
            { 'x-kubernetes-map-type': 'atomic' },
          ),
          template: POD_TEMPLATE,
          strategy: preserve,
          minReadySeconds: int,
          revisionHistoryLimit: int,
          paused: bool,
          progressDeadlineSeconds: int,
        }),
        status: obj({
          observedGeneration: int,
          replicas: int,
          updatedReplicas: int,
          readyReplicas: int,
          availableReplicas: int,
          unavailableReplicas: int,
          conditions,
        }),
      }),
      strategy: deploymentStrategy,
    }),
    builtin({
      group: 'discovery.k8s.io',
      version: 'v1',
      plural: 'endpointslices',
      singular: 'endpointslice',
      kind: 'EndpointSlice',
      namespaced: true,
      statusSubresource: false,
      generation: 'nonMetadata',
      allowUnconditionalUpdate: true,
      nameRule: 'subdomain',
      schema: root({
        addressType: str,
        endpoints: atomicList(
          obj({
            addresses: setList(str),
            conditions: obj({ ready: bool, serving: bool, terminating: bool }),
            hostname: str,
            nodeName: str,
            zone: str,
            targetRef: preserve,
          }),
        ),
        ports: atomicList(obj({ name: str, port: int, protocol: str, appProtocol: str })),
      }),
      strategy: endpointSliceStrategy,
    }),
    builtin({
      group: 'apiextensions.k8s.io',
      version: 'v1',
      plural: 'customresourcedefinitions',
      singular: 'customresourcedefinition',
      kind: 'CustomResourceDefinition',
      namespaced: false,
      shortNames: ['crd', 'crds'],
      statusSubresource: true,
      generation: 'spec',
      allowUnconditionalUpdate: false,
      nameRule: 'subdomain',
      schema: root({ spec: preserve, status: preserve }),
      strategy: crdStrategy,
    }),
  ];
}
