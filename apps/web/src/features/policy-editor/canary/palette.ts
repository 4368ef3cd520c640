/** One colour per version, the same in the split bar, the inputs and the signal cards (PatternFly's chart palette). */
const VERSION_COLORS = [
  '#0066cc',
  '#ec7a08',
  '#3e8635',
  '#8476d1',
  '#009596',
  '#c58c00',
  '#a30000',
  '#4cb140',
];

export function versionColor(index: number): string {
  return VERSION_COLORS[index % VERSION_COLORS.length]!;
}
