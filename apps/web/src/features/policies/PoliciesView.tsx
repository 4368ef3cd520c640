/**
 * The Policies page became the Config page (ConfigView.tsx); these names stay for the pages that import them.
 */
export { ConditionView } from './ConditionView.tsx';
export { ConfigView as PoliciesView } from './ConfigView.tsx';
