/** The upstream's fixed response body: exactly 100 ASCII bytes (no characters nginx would need escaped). */
export const UPSTREAM_BODY = `${'weft-bench-upstream-'.repeat(5)}`;

if (Buffer.byteLength(UPSTREAM_BODY) !== 100) throw new Error('UPSTREAM_BODY must be 100 bytes');
