export * from './meta.ts';
export * from './kinds.ts';
export * from './resource.ts';
export * from './validate.ts';
export * from './crds.ts';
export * from './httproute.ts';
export * from './text.ts';
export * from './text-diff.ts';
