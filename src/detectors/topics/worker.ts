/**
 * The embedding thread behind `banned_topics`: loads the sentence embedder, embeds the topics'
 * examples once, then answers one text at a time through shared memory (./protocol.ts has the
 * layout, ./index.ts the detector's side). ONNX Runtime only runs asynchronously; this thread
 * is where that wait happens, so the detector itself stays a synchronous function like every
 * other.
 */
import { workerData } from 'node:worker_threads';
import { Embedder, cosine } from '../../embedder/index.ts';
import { Slot } from './protocol.ts';
import type { TopicWorkerData } from './protocol.ts';

const data = workerData as TopicWorkerData;
const control = new Int32Array(data.control);
const bytes = new Uint8Array(data.text);
const result = new Float64Array(data.result);

function publish(state: Slot): void {
  Atomics.store(control, 0, state);
  Atomics.notify(control, 0);
}

let embedder: Embedder;
let examples: { topic: number; vector: Float32Array }[];
try {
  embedder = await Embedder.load({ modelsDir: data.modelsDir, intraOpThreads: 1 });
  const texts = data.topics.flatMap((topic, index) =>
    topic.examples.map((example) => ({ topic: index, example })),
  );
  const vectors = await embedder.embed(texts.map((entry) => entry.example));
  examples = texts.map((entry, index) => ({
    topic: entry.topic,
    vector: vectors[index] ?? new Float32Array(embedder.dimensions),
  }));
  publish(Slot.Idle);
} catch (error) {
  console.error(`[banned_topics] the embedder did not load: ${(error as Error).message}`);
  publish(Slot.Unavailable);
  process.exit(1);
}

const decoder = new TextDecoder();
for (;;) {
  Atomics.wait(control, 0, Slot.Idle);
  const state = Atomics.load(control, 0);
  if (state !== Slot.Request) {
    // A result not yet collected: wait for the detector to take it.
    Atomics.wait(control, 0, state);
    continue;
  }
  try {
    const text = decoder.decode(bytes.slice(0, Atomics.load(control, 1)));
    const [vector] = await embedder.embed([text]);
    let best = -1;
    let bestTopic = -1;
    for (const example of examples) {
      const similarity = vector === undefined ? -1 : cosine(vector, example.vector);
      if (similarity > best) {
        best = similarity;
        bestTopic = example.topic;
      }
    }
    result[0] = best;
    result[1] = bestTopic;
    publish(Slot.Done);
  } catch (error) {
    console.error(`[banned_topics] embedding failed: ${(error as Error).message}`);
    publish(Slot.Failed);
  }
}
