export * from './histogram.ts';
export * from './health.ts';
export * from './otlp.ts';
export * from './conventions.ts';
export * from './registry.ts';
export * from './config.ts';
export type * from './views.ts';
export { GRAPH_SCHEMA_VERSION } from './views.ts';
export * from './window.ts';
