// Placeholder until the Prisma client module lands (owned by the storage work).
export type Db = unknown;
