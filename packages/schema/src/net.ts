import { z } from 'zod';

/** `host:port` as proxies listen and register (IPv4 or a host name). */
export const hostPort = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$/, { message: 'must be host:port', abort: true })
  .refine((v) => {
    const port = Number(v.slice(v.lastIndexOf(':') + 1));
    return port > 0 && port < 65536;
  }, 'port must be between 1 and 65535');
