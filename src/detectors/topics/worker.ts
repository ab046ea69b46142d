/**
 * The embedding thread behind `banned_topics`: loads the sentence embedder, embeds the topics'
 * examples once, then answers one text at a time through the shared slot
 * (src/threads/slot.ts). ONNX Runtime only runs asynchronously; this thread is where that wait
 * happens, so the detector itself stays a synchronous function like every other.
 */
import { workerData } from 'node:worker_threads';
import { Embedder, cosine } from '../../embedder/index.ts';
import { serveSlot } from '../../threads/slot.ts';
import type { TopicWorkerData } from './protocol.ts';

const data = workerData as TopicWorkerData;

await serveSlot(
  data.buffers,
  'banned_topics',
  async () => {
    const embedder = await Embedder.load({ modelsDir: data.modelsDir, intraOpThreads: 1 });
    const texts = data.topics.flatMap((topic, index) =>
      topic.examples.map((example) => ({ topic: index, example })),
    );
    const vectors = await embedder.embed(texts.map((entry) => entry.example));
    const examples = texts.map((entry, index) => ({
      topic: entry.topic,
      vector: vectors[index] ?? new Float32Array(embedder.dimensions),
    }));
    return { embedder, examples };
  },
  async ({ embedder, examples }, text, result) => {
    // A topic raised anywhere in the text counts: the best window against the best example.
    const windows = await embedder.embedWindows(text, data.maxWindows);
    let best = -1;
    let bestTopic = -1;
    for (const vector of windows) {
      for (const example of examples) {
        const similarity = cosine(vector, example.vector);
        if (similarity > best) {
          best = similarity;
          bestTopic = example.topic;
        }
      }
    }
    result[0] = best;
    result[1] = bestTopic;
  },
);
