export { DetectorBindings } from './bindings.ts';
export type { HeldBinding } from './bindings.ts';
export { GuardEngine, anonymize } from './engine.ts';
export type { DetectorOutcome, GuardResult } from './engine.ts';
export { PlaceholderVault } from './vault.ts';
export {
  actionSchema,
  defaultStagePolicies,
  detectorRuleSchema,
  guardPolicySchema,
  stagePolicySchema,
} from './policy.ts';
export type { Action, DetectorRule, GuardPolicy, StagePolicy } from './policy.ts';
