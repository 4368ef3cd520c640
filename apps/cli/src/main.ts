/** `weft`: the command-line entry (bin/weft.js runs it through tsx). */
import { run } from './cli.ts';
import { processIo } from './io.ts';

process.exitCode = await run(process.argv.slice(2), processIo());
