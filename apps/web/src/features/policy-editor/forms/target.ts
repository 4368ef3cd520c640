import type { TargetRef } from '@weft/schema';
import type { EditorContext } from '../contract.ts';

/**
 * A new policy's target: the Service the editor was opened for. The shell owns targetRef from then on (route
 * rules, another Service); the forms only carry it through their edits.
 */
export function serviceTargetRef(context: EditorContext): TargetRef {
  return { group: '', kind: 'Service', name: context.service ?? '' };
}
