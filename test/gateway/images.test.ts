import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { configSchema } from '../../src/config/index.ts';
import { sha256Hex } from '../../src/gateway/index.ts';
import type { AuditEvent } from '../../src/gateway/index.ts';
import { doubleRoutes, startTestGateway } from '../helpers/gateway.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { UpstreamDouble } from '../helpers/upstream-double.ts';

const ACME_KEY = 'gs-test-images-acme';
const GLOBEX_KEY = 'gs-test-images-globex';

/** A fixture as a data: URL (scripts/make-image-fixtures.py draws them). */
function fixture(name: string): string {
  const bytes = readFileSync(new URL(`../fixtures/images/${name}`, import.meta.url));
  return `data:image/png;base64,${bytes.toString('base64')}`;
}

/** A PNG whose header declares 100,000 × 100,000 pixels: a decompression bomb's shape. */
function bombHeader(): string {
  const bytes = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes, 0);
  bytes.writeUInt32BE(13, 8);
  bytes.write('IHDR', 12, 'ascii');
  bytes.writeUInt32BE(100_000, 16);
  bytes.writeUInt32BE(100_000, 20);
  return `data:image/png;base64,${bytes.toString('base64')}`;
}

const userWithImage = (
  text: string,
  url: string,
): OpenAI.Chat.Completions.ChatCompletionMessageParam => ({
  role: 'user',
  content: [
    { type: 'text', text },
    { type: 'image_url', image_url: { url, detail: 'low' } },
  ],
});

interface ApiError {
  status: number;
  code: string;
  param: string | null;
  message: string;
}

async function refusal(request: Promise<unknown>): Promise<ApiError> {
  try {
    await request;
  } catch (error) {
    assert.ok(error instanceof OpenAI.APIError, String(error));
    const status: unknown = error.status;
    return {
      status: typeof status === 'number' ? status : 0,
      code: String(error.code),
      param: error.param ?? null,
      message: error.message,
    };
  }
  assert.fail('the request was answered');
}

function gatewayConfig(upstream: UpstreamDouble, images: Record<string, unknown>): unknown {
  return {
    gateway: {
      ...doubleRoutes(upstream.url, 'vision'),
      apiKeys: [
        { id: 'acme', sha256: sha256Hex(ACME_KEY), tenant: 'acme' },
        { id: 'globex', sha256: sha256Hex(GLOBEX_KEY), tenant: 'globex' },
      ],
      tenants: [
        { name: 'acme', allowedJurisdictions: ['*'], allowExternal: true },
        { name: 'globex', allowedJurisdictions: ['EU'], onDisallowed: 'pseudonymise' },
      ],
      images,
    },
  };
}

describe('gateway: image parts read by OCR and railed like text (images.mode read)', () => {
  const upstream = new UpstreamDouble();
  const audited: AuditEvent[] = [];
  let gateway: TestGateway;
  const client = (apiKey = ACME_KEY): OpenAI =>
    new OpenAI({ apiKey, baseURL: gateway.baseURL, maxRetries: 0 });

  before(async () => {
    await upstream.start();
    const config = configSchema.parse({
      ...(gatewayConfig(upstream, { mode: 'read' }) as object),
      // PII redacted at input, so the test can show an image whose text would be redacted.
      guard: {
        stages: {
          input: {
            detectors: [
              { detector: 'invisible_text', action: 'block' },
              { detector: 'prompt_injection', action: 'block' },
              { detector: 'pii', action: 'redact' },
            ],
          },
        },
      },
    });
    gateway = await startTestGateway(config);
    gateway.runtime.api.services.audit = (event) => {
      audited.push(event);
    };
  });

  after(async () => {
    await gateway.close();
    await upstream.stop();
  });

  it('reads a benign image, passes it on unchanged after the text, and audits it as read', async () => {
    upstream.behaviour = { mode: 'say', text: 'Revenue grew 12 percent.' };
    const chart = fixture('chart.png');
    const completion = await client().chat.completions.create({
      model: 'vision',
      messages: [userWithImage('Summarise this chart.', chart)],
    });
    assert.equal(completion.choices[0]?.message.content, 'Revenue grew 12 percent.');
    const sent = upstream.calls.at(-1)?.body.messages.at(-1) as unknown;
    assert.deepEqual(sent, {
      role: 'user',
      content: [
        { type: 'text', text: 'Summarise this chart.' },
        { type: 'image_url', image_url: { url: chart, detail: 'low' } },
      ],
    });
    const event = audited.at(-1);
    assert.deepEqual(event?.images, { parts: 1, read: 1, unchecked: 0 });
    assert.ok(
      event.detectors.some((timing) => timing.stage === 'input' && timing.detector === 'pii'),
    );
  });

  it('blocks an image that carries an injection, naming the part, before the model is called', async () => {
    const calls = upstream.calls.length;
    const error = await refusal(
      client().chat.completions.create({
        model: 'vision',
        messages: [userWithImage('What does this screenshot say?', fixture('injection.png'))],
      }),
    );
    assert.equal(error.status, 400);
    assert.equal(error.code, 'GS_ERR_GUARD_BLOCKED');
    assert.equal(error.param, 'messages[0].content[1]');
    assert.match(error.message, /prompt_injection/);
    assert.equal(upstream.calls.length, calls, 'the provider never saw it');
  });

  it('refuses an image whose text the policy would redact: pixels cannot be redacted', async () => {
    const error = await refusal(
      client().chat.completions.create({
        model: 'vision',
        messages: [userWithImage('Who is this?', fixture('contact.png'))],
      }),
    );
    assert.equal(error.status, 400);
    assert.equal(error.code, 'GS_ERR_GUARD_BLOCKED');
    assert.match(error.message, /would redact text in this image \(pii\)/);
  });

  it('gives a clear 400 for what it cannot read, and never fetches a URL', async () => {
    const cases: [string, RegExp][] = [
      [bombHeader(), /100000×100000 pixels; at most 16000000/],
      [`data:image/png;base64,${Buffer.from('not an image').toString('base64')}`, /not a PNG/],
      ['https://images.example/receipt.png', /does not fetch URLs/],
      ['file:///etc/passwd', /must be https:\/\/ or a data:image/],
    ];
    for (const [url, message] of cases) {
      const error = await refusal(
        client().chat.completions.create({
          model: 'vision',
          messages: [userWithImage('Read this.', url)],
        }),
      );
      assert.equal(error.status, 400, url.slice(0, 40));
      assert.equal(error.code, 'GS_ERR_INVALID_REQUEST');
      assert.equal(error.param, 'messages[0].content[1]');
      assert.match(error.message, message);
    }
  });

  it('POST /v1/guard reads an image for apps that call their model themselves', async () => {
    const guard = async (body: Record<string, unknown>): Promise<Record<string, unknown>> => {
      const response = await fetch(`${gateway.baseURL}/guard`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ACME_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, ...((await response.json()) as Record<string, unknown>) };
    };
    const blocked = await guard({ target: 'image', text: fixture('injection.png') });
    assert.equal(blocked.status, 200);
    assert.equal(blocked.effective, 'block');
    assert.match(String(blocked.text), /Ignore all previous instructions/);
    const allowed = await guard({
      target: 'image',
      text: fixture('chart.png'),
      stage: 'retrieval',
    });
    assert.equal(allowed.stage, 'retrieval');
    assert.equal(allowed.effective, 'allow');
    assert.match(String(allowed.text), /Q3 revenue: 4\.2 million euros/);
    const notAnImage = await guard({ target: 'image', text: 'https://images.example/a.png' });
    assert.equal(notAnImage.status, 400);
    assert.deepEqual((notAnImage.error as { param: string }).param, 'text');
  });

  it('refuses more images than maxPerRequest before reading any', async () => {
    const chart = fixture('chart.png');
    const error = await refusal(
      client().chat.completions.create({
        model: 'vision',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Compare these.' },
              ...Array.from({ length: 9 }, () => ({
                type: 'image_url' as const,
                image_url: { url: chart },
              })),
            ],
          },
        ],
      }),
    );
    assert.equal(error.status, 400);
    assert.match(error.message, /carries 9 images; at most 8/);
  });

  it('refuses images for a model whose providers do not read them', async () => {
    const error = await refusal(
      client().chat.completions.create({
        model: 'tiny',
        messages: [userWithImage('Describe it.', fixture('chart.png'))],
      }),
    );
    assert.equal(error.status, 400);
    assert.match(error.message, /does not read images/);
  });
});

describe('gateway: image parts refused by default, or passed on unread (images.mode pass)', () => {
  const upstream = new UpstreamDouble();
  const audited: AuditEvent[] = [];
  let refusing: TestGateway;
  let passing: TestGateway;

  before(async () => {
    await upstream.start();
    refusing = await startTestGateway(configSchema.parse(gatewayConfig(upstream, {})));
    passing = await startTestGateway(configSchema.parse(gatewayConfig(upstream, { mode: 'pass' })));
    passing.runtime.api.services.audit = (event) => {
      audited.push(event);
    };
  });

  after(async () => {
    await refusing.close();
    await passing.close();
    await upstream.stop();
  });

  it('refuses image parts by default', async () => {
    const error = await refusal(
      new OpenAI({
        apiKey: ACME_KEY,
        baseURL: refusing.baseURL,
        maxRetries: 0,
      }).chat.completions.create({
        model: 'vision',
        messages: [userWithImage('Hi', fixture('chart.png'))],
      }),
    );
    assert.equal(error.status, 400);
    assert.equal(error.param, 'messages[0].content[1]');
    assert.match(error.message, /does not accept image parts/);
    const guarded = await fetch(`${refusing.baseURL}/guard`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ACME_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target: 'image', text: fixture('chart.png') }),
    });
    assert.equal(guarded.status, 400);
    assert.match(await guarded.text(), /does not read images/);
  });

  it('passes images on unread when told to, and counts them as unchecked', async () => {
    upstream.behaviour = { mode: 'say', text: 'A chart.' };
    const client = new OpenAI({ apiKey: ACME_KEY, baseURL: passing.baseURL, maxRetries: 0 });
    await client.chat.completions.create({
      model: 'vision',
      messages: [userWithImage('What is it?', 'https://images.example/chart.png')],
    });
    assert.deepEqual(audited.at(-1)?.images, { parts: 1, read: 0, unchecked: 1 });
  });

  it('will not pseudonymise an image it has not read', async () => {
    const client = new OpenAI({ apiKey: GLOBEX_KEY, baseURL: passing.baseURL, maxRetries: 0 });
    const error = await refusal(
      client.chat.completions.create({
        model: 'frontier',
        messages: [userWithImage('What is it?', fixture('chart.png'))],
      }),
    );
    assert.equal(error.status, 403);
    assert.equal(error.code, 'GS_ERR_SOVEREIGNTY');
    assert.match(error.message, /unread image cannot be pseudonymised/);
  });
});
