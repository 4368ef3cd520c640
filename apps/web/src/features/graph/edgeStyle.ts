/** Line width grows with the log of the request rate, so a 1000 rps edge doesn't swallow the picture. */
export function edgeWidth(rps: number): number {
  return Math.min(5, 1.25 + Math.log10(1 + rps) * 1.2);
}
