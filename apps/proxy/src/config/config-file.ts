/** A static ProxyConfig from --config-file, for running without a control plane. */
import { readFile } from 'node:fs/promises';
import { checkConfig } from './validate-config.ts';

export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
}

/**
 * Reads and parses the file; the caller offers the result to the ConfigStore. Only a structurally broken
 * file stops the start; bad entries in a sound one are left out (and logged) like in a control-plane config.
 */
export async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigFileError(`--config-file ${path}: cannot read it (${code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigFileError(`--config-file ${path}: not valid JSON (${(err as Error).message})`);
  }
  const check = checkConfig(raw);
  if (!check.ok) {
    throw new ConfigFileError(`--config-file ${path}: not a valid ProxyConfig: ${check.reason}`);
  }
  return raw;
}
