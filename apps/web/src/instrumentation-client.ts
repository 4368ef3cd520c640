/**
 * Runs in the browser before the console's own modules. Zod probes for `new Function` when its first object
 * schema is built (to compile fast parsers); under the console's CSP (no 'unsafe-eval', see next.config.ts)
 * that probe is refused and reported as a violation. Jitless mode skips the probe: parsing stays correct,
 * the console parses little.
 */
import { z } from 'zod';

z.config({ jitless: true });
