import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureModels } from '../../src/cli/assistant.ts';
import { configSchema } from '../../src/config/index.ts';

describe('guardstream up: the models a configuration needs', () => {
  it('fetches the OCR model when images are read, and not otherwise', async () => {
    const checked = async (images: Record<string, unknown>): Promise<string[]> => {
      const messages: string[] = [];
      await ensureModels(
        configSchema.parse({
          rag: { enabled: false },
          gateway: {
            providers: [{ name: 'up', type: 'openai', baseUrl: 'http://127.0.0.1:1/v1' }],
            models: [{ name: 'm', providers: [{ provider: 'up' }] }],
            images,
          },
        }),
        (message) => messages.push(message),
      );
      return messages;
    };
    // The test runner fetched every model first: each is found in the cache, not downloaded.
    assert.deepEqual(
      (await checked({ mode: 'read' })).map((message) => message.split(':')[0]),
      ['tesseract-eng'],
    );
    assert.deepEqual(await checked({ mode: 'pass' }), []);
  });
});
