export { defineDetector, stages } from './types.ts';
export type { DetectionContext, Detector, DetectorMeta, Finding, Span, Stage } from './types.ts';
export { DetectorRegistry } from './registry.ts';
export type { BoundDetector, RegisteredDetector } from './registry.ts';
export { piiDetector, piiConfigSchema, piiKinds } from './pii.ts';
export type { PiiKind } from './pii.ts';
export {
  ibanShapeValid,
  ibanValid,
  inseeValid,
  luhnValid,
  shannonEntropy,
  ssnValid,
} from './checksums.ts';
export { secretsDetector, secretsConfigSchema } from './secrets.ts';
export { harmfulRequestDetector, toxicityDetector } from './classifiers.ts';
export { encodedPayloadDetector } from './encoded-payload.ts';
export { bannedTopicsDetector, TopicMatcher } from './topics/index.ts';
export {
  applyEncoderPatch,
  committedEncoderPatch,
  decodedStringEscapes,
  encoderBaseModel,
  injectionEncoderDetector,
  InjectionEncoder,
  tokenWindows,
} from './encoder/index.ts';
export type { EncoderPatch } from './encoder/index.ts';
export { PairEncoder, committedGroundednessPatch } from './encoder/pair.ts';
export { contextWindows, pairSequences } from './encoder/pair-windows.ts';
export { activeContentDetector } from './active-content.ts';
export { bundledModelPath, featurize, loadLinearModel, score } from './linear-model.ts';
export type { LinearModel, NamedLinearModel } from './linear-model.ts';
export {
  bannedSubstringsDetector,
  exfiltrationDetector,
  encoderGroundednessScore,
  groundednessConfigSchema,
  groundednessDetector,
  groundednessScore,
  promptLeakDetector,
  refusalDetector,
} from './output.ts';
export { invisibleTextDetector, invisibleTextConfigSchema } from './invisible-text.ts';
export { dangerousCommandDetector, dangerousCommandConfigSchema } from './dangerous-command.ts';
export { languageDetector, languageConfigSchema } from './language.ts';
export {
  injectionDetector,
  injectionConfigSchema,
  normalizeForMatching,
  decodeEmbedded,
  rereadings,
  rot13,
  caesar,
  atbash,
  matchRules,
} from './injection/index.ts';

import { activeContentDetector } from './active-content.ts';
import { dangerousCommandDetector } from './dangerous-command.ts';
import { harmfulRequestDetector, toxicityDetector } from './classifiers.ts';
import { encodedPayloadDetector } from './encoded-payload.ts';
import { injectionEncoderDetector } from './encoder/index.ts';
import { injectionDetector } from './injection/index.ts';
import { invisibleTextDetector } from './invisible-text.ts';
import {
  bannedSubstringsDetector,
  exfiltrationDetector,
  groundednessDetector,
  promptLeakDetector,
  refusalDetector,
} from './output.ts';
import { languageDetector } from './language.ts';
import { piiDetector } from './pii.ts';
import { DetectorRegistry } from './registry.ts';
import { secretsDetector } from './secrets.ts';
import { bannedTopicsDetector } from './topics/index.ts';

/** A new registry holding the built-in detectors. Each call builds its own: no singletons. */
export function builtInDetectors(): DetectorRegistry {
  return new DetectorRegistry()
    .register(piiDetector)
    .register(secretsDetector)
    .register(invisibleTextDetector)
    .register(injectionDetector)
    .register(promptLeakDetector)
    .register(exfiltrationDetector)
    .register(activeContentDetector)
    .register(dangerousCommandDetector)
    .register(refusalDetector)
    .register(groundednessDetector)
    .register(bannedSubstringsDetector)
    .register(toxicityDetector)
    .register(harmfulRequestDetector)
    .register(encodedPayloadDetector)
    .register(bannedTopicsDetector)
    .register(injectionEncoderDetector)
    .register(languageDetector);
}
