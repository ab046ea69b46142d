import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureModels } from '../../src/cli/assistant.ts';
import { configSchema } from '../../src/config/index.ts';

/** The ids of the models ensureModels checked for a configuration (RAG off, a remote model). */
async function modelsFor(
  gateway: Record<string, unknown>,
  guard: Record<string, unknown> = {},
): Promise<string[]> {
  const messages: string[] = [];
  await ensureModels(
    configSchema.parse({
      rag: { enabled: false },
      gateway: {
        providers: [{ name: 'up', type: 'openai', baseUrl: 'http://127.0.0.1:1/v1' }],
        models: [{ name: 'm', providers: [{ provider: 'up' }] }],
        ...gateway,
      },
      guard,
    }),
    (message) => messages.push(message),
  );
  return messages.map((message) => message.split(':')[0] ?? message).sort();
}

describe('guardstream up: the models a configuration needs', () => {
  it('fetches the OCR model when images are read, and not otherwise', async () => {
    // The test runner fetched every model first: each is found in the cache, not downloaded.
    assert.deepEqual(await modelsFor({ images: { mode: 'read' } }), ['tesseract-eng']);
    assert.deepEqual(await modelsFor({ images: { mode: 'pass' } }), []);
  });

  it("fetches the base model a policy's encoder patch names, and the embedder for banned topics", async () => {
    assert.deepEqual(
      await modelsFor(
        {},
        {
          stages: {
            input: { detectors: [{ detector: 'prompt_injection_encoder' }] },
            retrieval: {
              detectors: [{ detector: 'prompt_injection_encoder', config: { model: 'bge-small' } }],
            },
            output: {
              detectors: [{ detector: 'banned_topics', config: { topics: ['weather'] } }],
            },
          },
        },
      ),
      ['all-minilm-l6-v2-q', 'bge-small-en-v15-q'],
    );
  });
});
