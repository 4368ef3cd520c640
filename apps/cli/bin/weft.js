#!/usr/bin/env node
// The `weft` command: runs src/main.ts through tsx in this process, as `node --import tsx src/main.ts` would.
import 'tsx';

await import('../src/main.ts');
