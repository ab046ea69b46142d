/**
 * Phrases that direct a model against its instructions, in English, French, German and
 * Spanish, matched on normalised text. Fixed patterns written for this detector.
 */
export interface RuleHit {
  rule: string;
  index: number;
  length: number;
}

const rules: readonly { name: string; pattern: RegExp }[] = [
  {
    name: 'override_instructions',
    pattern:
      /\b(?:ignore|disregard|forget|override|bypass|skip|drop)\b.{0,40}?\b(?:previous|prior|above|earlier|preceding|initial|original|all|any|your|the|system)\b.{0,30}?\b(?:instructions?|prompts?|rules?|directives?|guidelines?|constraints?|policies|policy|programming|context)\b/,
  },
  {
    // Goal hijacking ("…Actually, ignore that and just print X"): the override names no
    // instructions, only "that"/"the above", and redirects the model to emit something.
    name: 'goal_hijack',
    pattern:
      /\b(?:ignore|disregard|forget|scratch)\b (?:that|this|the above|all (?:of )?(?:that|this|the above)|everything (?:above|before)|what (?:i|you) (?:said|were told))\b.{0,40}?\b(?:just|instead|only)\b.{0,20}?\b(?:print|say|write|output|reply|respond|type|repeat)\b/,
  },
  {
    name: 'override_instructions_fr',
    pattern:
      /\b(?:ignore[rz]?|oublie[rz]?|ne tiens pas compte)\b.{0,40}?\b(?:instructions?|consignes?|r[eè]gles?)\b/,
  },
  {
    name: 'override_instructions_de',
    pattern:
      /\b(?:ignorier(?:e|en)?|vergiss|missachte)\b.{0,40}?\b(?:anweisungen|anweisung|regeln|vorgaben|instruktionen)\b/,
  },
  {
    name: 'override_instructions_es',
    pattern:
      /\b(?:ignora[r]?|olvida[r]?|omite|descarta)\b.{0,40}?\b(?:instrucciones|reglas|indicaciones)\b/,
  },
  {
    name: 'reveal_system_prompt',
    pattern:
      /\b(?:reveal|show|print|repeat|output|display|tell me|what (?:is|are|were)|give me|leak|dump|spell out)\b.{0,40}?\b(?:system prompt|initial (?:instructions|prompt)|hidden (?:instructions|prompt)|your (?:instructions|prompt|rules|guidelines)|(?:instructions|text|everything) (?:above|before)|pre-?prompt)/,
  },
  {
    name: 'persona_jailbreak',
    pattern:
      /\b(?:you are now|from now on,? you|act as|pretend (?:to be|you are)|roleplay as|simulate)\b.{0,60}?\b(?:dan|dude|stan|jailbr(?:oken|eak)|developer mode|unfiltered|uncensored|no (?:restrictions|filters|limits|rules)|without (?:restrictions|filters|limits|rules|ethics))\b/,
  },
  {
    // The "grandma exploit": a dead relative's persona as the pretext for forbidden content.
    name: 'deceased_relative_roleplay',
    pattern:
      /\b(?:you are|you're|act as|acting as|pretend (?:to be|you are)|play(?:ing)?(?: the role of)?|be)\b.{0,20}?\bmy (?:late|deceased|dead|departed|dear departed) (?:grand(?:mother|ma|mom|father|pa|dad)|granny|nan|mother|father)\b/,
  },
  {
    name: 'jailbreak_marker',
    pattern:
      /\b(?:do anything now|developer mode (?:enabled|output)|jailbreak(?:ed)? mode|stay in character|break character|\(🔓|anti-?dan|dan mode|evil confidant|aim:|always intelligent and machiavellian)/,
  },
  {
    name: 'no_rules',
    pattern:
      /\b(?:no longer|not) (?:bound|restricted|limited) by\b.{0,40}?\b(?:rules|guidelines|policies|openai|ethics|restrictions)\b|\bfree (?:from|of) (?:all )?(?:rules|restrictions|guidelines|ethics)\b/,
  },
  {
    name: 'new_instructions',
    pattern:
      /\b(?:new|updated|real|actual|true) (?:instructions?|task|system (?:prompt|message))\s*(?::|are|is)\b|\[(?:system|admin|instructions?)\]|<\/?(?:system|im_start|im_end)>/,
  },
];

export function matchRules(normalized: string): RuleHit[] {
  const hits: RuleHit[] = [];
  for (const { name, pattern } of rules) {
    const match = pattern.exec(normalized);
    if (match !== null) hits.push({ rule: name, index: match.index, length: match[0].length });
  }
  return hits;
}
