/** Live views poll at this interval; pages may poll faster, never slower. */
export const REFRESH_MS = 5_000;
