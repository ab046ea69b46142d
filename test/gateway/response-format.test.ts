import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { configSchema } from '../../src/config/index.ts';
import { sha256Hex, WITHHELD_ANSWER } from '../../src/gateway/index.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { UpstreamDouble } from '../helpers/upstream-double.ts';

const KEY = 'gs-test-json-answers';
const invoiceSchema = {
  type: 'json_schema' as const,
  json_schema: {
    name: 'invoice_contact',
    schema: {
      type: 'object',
      properties: { contact: { type: 'string' }, amount: { type: 'number' } },
    },
  },
};

describe('gateway: JSON answers (response_format) stay JSON through the output rails', () => {
  const upstream = new UpstreamDouble();
  let gateway: TestGateway;
  const client = (): OpenAI => new OpenAI({ apiKey: KEY, baseURL: gateway.baseURL, maxRetries: 0 });

  before(async () => {
    await upstream.start();
    const config = configSchema.parse({
      gateway: {
        providers: [{ name: 'eu', type: 'openai', baseUrl: upstream.url, jurisdiction: 'EU' }],
        models: [{ name: 'agent', providers: [{ provider: 'eu', upstreamModel: 'double' }] }],
        apiKeys: [{ id: 'app', sha256: sha256Hex(KEY), tenant: 'acme' }],
      },
    });
    gateway = await startTestGateway(config);
  });

  after(async () => {
    await gateway.close();
    await upstream.stop();
  });

  it('redacts inside the values and returns valid JSON, streamed or not', async () => {
    // A command is redacted to the end of its line, which in one-line JSON is past the closing
    // quote: read as text, the rest of the object would go with it.
    upstream.behaviour = {
      mode: 'say',
      text: '{"contact": "Write to jane.doe@example.com", "fix": "run echo $OPENAI_API_KEY to check", "amount": 120.5, "note": "paid \\"late\\""}',
    };
    const completion = await client().chat.completions.create({
      model: 'agent',
      response_format: invoiceSchema,
      messages: [{ role: 'user', content: 'Who is the billing contact on this invoice?' }],
    });
    assert.deepEqual(upstream.calls.at(-1)?.body.response_format, invoiceSchema);
    const answer = JSON.parse(completion.choices[0]?.message.content ?? '') as {
      contact: string;
      fix: string;
      amount: number;
      note: string;
    };
    assert.ok(answer.contact.startsWith('Write to '), answer.contact);
    assert.ok(answer.fix.startsWith('run ') && !answer.fix.includes('OPENAI_API_KEY'), answer.fix);
    assert.ok(!answer.contact.includes('jane.doe@example.com'), answer.contact);
    assert.equal(answer.amount, 120.5);
    assert.equal(answer.note, 'paid "late"');

    const stream = await client().chat.completions.create({
      model: 'agent',
      stream: true,
      response_format: { type: 'json_object' },
      messages: [{ role: 'user', content: 'Who is the billing contact on this invoice?' }],
    });
    let text = '';
    let pieces = 0;
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content ?? '';
      text += content;
      if (content !== '') pieces += 1;
    }
    assert.equal(pieces, 1, 'a JSON answer is sent whole, once checked');
    const streamed = JSON.parse(text) as { contact: string; amount: number };
    assert.ok(!streamed.contact.includes('jane.doe@example.com'), streamed.contact);
    assert.equal(streamed.amount, 120.5);
  });

  it('withholds a JSON answer that carries the canary', async () => {
    upstream.behaviour = {
      mode: 'script',
      answer: (messages) =>
        JSON.stringify({
          contact: /Canary: (\S+)/.exec(messages[0]?.content ?? '')?.[1] ?? 'none',
        }),
    };
    const completion = await client().chat.completions.create({
      model: 'agent',
      response_format: { type: 'json_object' },
      messages: [{ role: 'user', content: 'Who is the billing contact, as JSON?' }],
    });
    assert.equal(completion.choices[0]?.finish_reason, 'content_filter');
    assert.equal(completion.choices[0].message.content, WITHHELD_ANSWER);
  });

  it('reads an answer that is not JSON after all as text', async () => {
    upstream.behaviour = { mode: 'say', text: 'Sorry, write to jane.doe@example.com instead.' };
    const completion = await client().chat.completions.create({
      model: 'agent',
      response_format: { type: 'json_object' },
      messages: [{ role: 'user', content: 'Who is the billing contact?' }],
    });
    const content = completion.choices[0]?.message.content ?? '';
    assert.ok(content.startsWith('Sorry, write to '), content);
    assert.ok(!content.includes('jane.doe@example.com'), content);
  });

  it('refuses a response_format it does not know with a 400', async () => {
    for (const format of [
      { type: 'yaml' },
      { type: 'json_schema', json_schema: { name: 'has space' } },
    ]) {
      const response = await gateway.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        payload: JSON.stringify({
          model: 'agent',
          messages: [{ role: 'user', content: 'hi' }],
          response_format: format,
        }),
      });
      assert.equal(response.statusCode, 400, JSON.stringify(format));
      assert.equal(
        response.json<{ error: { code: string } }>().error.code,
        'GS_ERR_INVALID_REQUEST',
      );
    }
  });
});
