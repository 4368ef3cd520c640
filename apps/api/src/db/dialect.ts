/**
 * Which SQL dialect a client speaks, for the few statements that must differ (JSON-array parameters in bulk
 * telemetry writes). Registered by openDatabase; a client it did not open is taken for SQLite.
 */
import type { Provider } from './layout.ts';

const dialects = new WeakMap<object, Provider>();

export function registerDialect(db: object, provider: Provider): void {
  dialects.set(db, provider);
}

export function dialectOf(db: object): Provider {
  return dialects.get(db) ?? 'sqlite';
}
