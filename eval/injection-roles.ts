/**
 * Benign role-play and system prompts, and benign questions about how LLM applications are
 * prompted and attacked: the framing jailbreaks share ("You are…", "Stay in character", "Only
 * reply with…"), with nothing asked for that a guard should stop. The fine-tuned encoder's
 * prompt head flags such prompts most often among benign ones (docs/detectors/
 * prompt-injection-encoder.md), and the train splits hold few of them. Written for this project
 * from the common shapes of assistant set-ups and persona prompts, not from any evaluation set;
 * expanded combinatorially with a seed. Training negatives only (`--role-prompts`): no
 * validation or dev row comes from here.
 */
import type { Example } from './injection-data.ts';
import { seededRandom, shuffle } from './datasets.ts';
import { expand } from './injection-synthetic.ts';

/** What a set-up asks of the role; some share jailbreaks' words ("never break character"). */
const rules = [
  'Stay in character for the whole conversation.',
  'Never break character.',
  'Do not write explanations.',
  'Only reply with the output, inside one code block.',
  'Keep every answer under 100 words.',
  'Answer in a warm, encouraging tone.',
  'Ask me one question at a time.',
  'Use British spelling.',
  'Answer only in French.',
  "If you don't know something, say so instead of guessing.",
  'Do not give medical, legal or financial advice; suggest a professional instead.',
  'Never share personal data about other customers.',
  'Politely decline questions that are not about our products.',
  'Always end with a follow-up question.',
  'Use simple words a child would understand.',
  'Format your answers as bullet points.',
  'When I write something in curly brackets, {like this}, I am speaking to you out of character.',
  'Do not type commands yourself; wait for mine.',
  'Reply only as that character would.',
  'Correct my mistakes gently and explain each one.',
  'Give me three options each time.',
  'Do not reveal the answer to a riddle until I give up.',
  'Keep the story suitable for children.',
  'Use metric units.',
  'Cite the page of the manual when you can.',
  'Be concise.',
];

const roleSlots: Record<string, readonly string[]> = {
  opening: [
    'I want you to act as',
    'You are',
    'Act as',
    'Pretend to be',
    'Roleplay as',
    'Imagine you are',
    'From now on, you are',
    'Your role is',
    'Take on the role of',
    'Play the part of',
    'For this conversation, you will be',
    'Assume the persona of',
    "Let's play a game where you are",
    'Behave like',
    'Respond as if you were',
    'I would like you to be',
    'You will play',
    'System: you are',
  ],
  role: [
    'a friendly travel agent who plans city breaks',
    'a patient maths tutor for teenagers',
    'a Linux terminal',
    'a Python interpreter',
    'a SQL database with a table of books',
    'a JavaScript console',
    'an Excel sheet with ten rows and four columns',
    'a text-based adventure game set in a haunted castle',
    'a sommelier who suggests wines for dinner',
    'an interviewer for a junior data-analyst job',
    'a Socratic teacher who answers with questions',
    'a customer-support agent for an online bike shop',
    'a fitness coach who builds weekly training plans',
    'a storyteller for children aged five to eight',
    'an English teacher who corrects my grammar',
    'a Spanish conversation partner',
    'a translator between English and German',
    'a pirate captain on the Caribbean sea',
    'a medieval knight guarding a bridge',
    'a wise old wizard in a fantasy village',
    'Sherlock Holmes, the detective',
    'a Shakespearean actor',
    'a grumpy but kind-hearted librarian',
    'a stand-up comedian who tells clean jokes',
    'a motivational coach',
    'a career counsellor',
    'a chef who only cooks vegetarian food',
    'a barista explaining coffee drinks',
    'a museum guide at a natural history museum',
    'a tour guide in Rome',
    'a gardener who knows about roses',
    'a personal finance educator who explains budgeting',
    'a history professor specialising in ancient Egypt',
    'a physics teacher who uses everyday examples',
    'a poet who writes haiku',
    'a songwriter',
    'a screenwriter working on a romantic comedy',
    'a dungeon master for a tabletop role-playing game',
    'a chess coach',
    'a debate partner who argues the opposite side',
    'a job-interview candidate for a nursing position',
    'a real-estate agent showing a flat',
    'a tech-support agent helping me reset my router',
    'a hotel receptionist',
    'a flight attendant',
    'a journalist interviewing me about my startup',
    'a product manager reviewing my feature idea',
    'a senior software engineer doing a code review',
    'a UX designer giving feedback on my app',
    'a copywriter for a small bakery',
    'a social media manager for a bookshop',
    'an etymologist who explains the origin of words',
    'a dictionary that gives short definitions',
    'a spelling and punctuation checker',
    'a regex explainer',
    'a commit-message writer',
    'a cover-letter assistant',
    'a meditation guide',
    'a dog trainer',
    'a birdwatching expert',
    'an astronomer at a public observatory',
    'a film critic',
    'a quiz master hosting a pub quiz',
    'a riddle-maker',
    'a friendly robot in a children’s story',
    'a time traveller from the year 1850',
    'an alien visiting Earth for the first time',
    'a character in a mystery novel',
    'my study buddy for a biology exam',
    'a helpful assistant for ACME Corp employees',
    'the virtual assistant of a dental clinic',
    'the booking assistant of a yoga studio',
    'the FAQ bot of a city library',
    'a recipe assistant inside a cooking app',
  ],
  trait: [
    'cheerful and curious',
    'calm and precise',
    'a little sarcastic but always kind',
    'formal and polite',
    'enthusiastic and encouraging',
    'dry and witty',
    'patient and thorough',
  ],
  rule: rules,
  // Separate slots so each rule is drawn on its own (a slot named twice repeats its choice).
  rule2: rules,
  rule3: rules,
  first: [
    'My first request is a weekend in Lisbon.',
    'Let us begin with fractions.',
    'My first command is pwd.',
    'My first command is ls -la.',
    'I am cooking salmon tonight.',
    'Start with your first question.',
    'Tell the first story, about a brave snail.',
    'My first sentence is "I has went to the shop yesterday."',
    'Begin by introducing yourself.',
    'My first question is about my monthly budget.',
    'The first word is "serendipity".',
    'Here is my code: def add(a, b): return a - b',
    'My first message: hello, my order has not arrived.',
    'Let us start the game.',
    'First, describe the room I wake up in.',
    'I would like to book a cleaning next Tuesday.',
    'My opening move is e4.',
    'My idea is an app that reminds people to water their plants.',
    'Ready when you are.',
    '',
  ],
};

const roleTemplates = [
  '{opening} {role}. {rule} {first}',
  '{opening} {role}. {rule} {rule2} {first}',
  '{opening} {role}. You are {trait}. {rule} {rule2} {first}',
  '{opening} {role}. I will ask questions and you will answer in character. {rule} {first}',
  '{opening} {role}. You are {trait}. {rule} {rule2} {rule3} {first}',
  'I want you to act as {role}. I will type messages and you will reply. {rule} {rule2} {first}',
  'You are {role}. Your job is to help users with their questions. {rule} {rule2} {rule3}',
];

const aboutSlots: Record<string, readonly string[]> = {
  ask: [
    'Explain what a system prompt is and why chatbots use one.',
    'What is prompt injection, and how do developers defend against it?',
    'How do I write a good system prompt for a customer-support bot?',
    'Summarise the OWASP Top 10 for LLM applications.',
    'What does "jailbreaking" mean when people talk about chatbots?',
    'Why do language models sometimes refuse harmless requests?',
    'How should an app store the instructions it gives its model?',
    'What is the difference between a system message and a user message?',
    'Can you explain how role-play prompts change a model’s answers?',
    'What are guardrails for large language models?',
    'How do I test my chatbot against prompt injection before launch?',
    'Write a short paragraph for our security training about prompt injection.',
    'What is red-teaming in AI safety?',
    'Explain temperature and top-p to a beginner.',
    'How do retrieval-augmented generation systems decide which documents to show the model?',
    'Give me tips for writing clearer instructions for an AI assistant.',
    'What is a persona in conversational design?',
    'How do content filters in chat apps work, in general terms?',
  ],
  lead: ['', '', 'Quick question: ', 'For a blog post: ', 'I am new to AI. ', 'For my thesis, '],
};

const aboutTemplates = ['{lead}{ask}'];

/** `count` benign role and system prompts and ~a sixth as many questions about LLM prompting. */
export function benignRolePrompts(seed: number, count: number): Example[] {
  const random = seededRandom(seed ^ 0x701e);
  const roles = expand(roleTemplates, roleSlots, count, random);
  const about = expand(aboutTemplates, aboutSlots, Math.floor(count / 6), random);
  return shuffle(
    [...roles, ...about].map((text) => ({ text, label: 0 as const, source: 'synthetic-role' })),
    random,
  );
}

const taskSlots: Record<string, readonly string[]> = {
  given: [
    'a sentence',
    'a short paragraph',
    'a product review',
    'a tweet',
    'a question and four possible answers',
    'a conversation between two people',
    'a news headline',
    'a recipe',
    'a pair of sentences',
    'a list of numbers',
    'a math word problem',
    'a passage and a question about it',
    'an English sentence',
    'a sentence from a conversation between a customer and a support agent',
    'a restaurant review',
    'a short story with a missing last sentence',
    'a piece of Python code',
    'a title and the first line of an article',
  ],
  task: [
    'classify its sentiment as "positive" or "negative"',
    'decide whether the main verb is in the present or the past tense',
    'find every person name it mentions',
    'translate it into Spanish',
    'write a one-sentence summary',
    'generate a question whose answer is in the text',
    'pick the correct answer and output its letter',
    'decide whether the second sentence follows from the first; answer "yes", "no" or "maybe"',
    'count how many times the letter "e" appears',
    'sort the numbers from smallest to largest',
    'solve the problem and give only the final number',
    'rewrite it in a more formal register',
    'label it with one of the categories SPORTS, POLITICS, BUSINESS or SCIENCE',
    'identify the speaker’s intent: INFORM, REQUEST, OFFER or CONFIRM',
    'write the most likely last sentence',
    'find the grammatical error and correct it',
    'say whether it is sarcastic',
    'extract the date it mentions, in the format YYYY-MM-DD',
  ],
  outputRule: [
    'Your answer must be a single word.',
    'Do not output anything other than the label.',
    'If none applies, answer "None".',
    'Keep the output under 20 words.',
    'Output the answer in lowercase.',
    'Separate multiple answers with commas.',
    '',
  ],
  example: [
    'Input: The cat sat on the mat. Output:',
    'Input: I loved the pasta but the service was slow. Output:',
    'Input: 17, 3, 42, 8 Output:',
    'Input: She walks to school every morning. Output:',
    'Input: "Can I change my delivery address?" Output:',
    'Input: Tom had 12 apples and gave away 5. How many are left? Output:',
    'Sentence 1: It is raining. Sentence 2: The ground is wet. Answer:',
    'Text: The meeting was moved to 3 March 2024. Answer:',
    '',
  ],
  lead: [
    'Detailed Instructions:',
    'Definition:',
    'Task:',
    'Instructions:',
    'Q:',
    'Teacher:',
    'Given the task definition and input, reply with output.',
    '',
  ],
};

const taskTemplates = [
  '{lead} In this task, you are given {given}. Your task is to {task}. {outputRule} {example}',
  '{lead} You are given {given}. You must {task}. {outputRule} {example}',
  '{lead} Given {given}, {task}. {outputRule} {example}',
  'In this task you will be shown {given}. Your job is to {task}. {outputRule}\n{example}',
];

/**
 * `count` task definitions in the style of instruction-tuning sets ("In this task, you are given
 * a sentence. Your task is to…"): instructions to the model that are the user's own task, not an
 * injection. Training negatives only (`--task-prompts`).
 */
export function benignTaskDefinitions(seed: number, count: number): Example[] {
  const random = seededRandom(seed ^ 0x7a5c);
  return expand(taskTemplates, taskSlots, count, random).map((text) => ({
    text: text.replace(/ {2,}/g, ' ').trim(),
    label: 0 as const,
    source: 'synthetic-task',
  }));
}
