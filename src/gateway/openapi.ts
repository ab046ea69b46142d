import { z } from 'zod';
import { guardRequestSchema } from './api.ts';
import { chatRequestSchema } from './chat.ts';

const errorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message', 'type', 'code', 'param'],
      properties: {
        message: { type: 'string' },
        type: { type: 'string' },
        code: { type: 'string', description: 'A GS_ERR_* code from docs/errors.md.' },
        param: { type: ['string', 'null'] },
      },
    },
  },
};

const errors = (...statuses: number[]): Record<string, unknown> =>
  Object.fromEntries(
    statuses.map((status) => [
      String(status),
      {
        description: 'OpenAI-style error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    ]),
  );

/** The OpenAPI 3.1 description of the gateway, built from the same zod schemas it validates with. */
export function openApiDocument(): Record<string, unknown> {
  const security = [{ apiKey: [] }, { bearer: [] }];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Guardstream gateway',
      version: '0.1.0',
      description:
        'OpenAI-compatible chat completions with authentication, entitlement-aware retrieval, guard rails at input, retrieval and output, sovereignty routing and an audit trail on Kafka.',
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from gateway.apiKeys.' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
      schemas: {
        Error: errorBody,
        ChatRequest: z.toJSONSchema(chatRequestSchema, { io: 'input' }),
        GuardRequest: z.toJSONSchema(guardRequestSchema, { io: 'input' }),
      },
    },
    paths: {
      '/v1/chat/completions': {
        post: {
          summary: 'Chat completion (JSON or server-sent events with stream: true)',
          security,
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/ChatRequest' } },
            },
          },
          responses: {
            '200': {
              description:
                'A chat.completion object, or chat.completion.chunk events ending in [DONE]. The `guardstream.rails` field and the x-guardstream-rails header say which rails acted (stage, action, detector names), never what they matched. finish_reason content_filter means the output rails withheld the answer.',
            },
            ...errors(400, 401, 403, 404, 413, 429, 502, 504),
          },
        },
      },
      '/v1/models': {
        get: {
          summary: 'Models the caller may use',
          security,
          responses: { '200': { description: 'OpenAI model list' }, ...errors(401, 429) },
        },
      },
      '/v1/guard': {
        post: {
          summary: "Run one stage's policy on a text (for apps that call their LLM themselves)",
          security,
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/GuardRequest' } },
            },
          },
          responses: {
            '200': {
              description: 'Decision, findings with spans and scores, rewritten text, timings',
            },
            ...errors(400, 401, 413, 429),
          },
        },
      },
      '/healthz': {
        get: {
          summary: 'Liveness and the broker status',
          responses: { '200': { description: 'Health report' } },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          responses: { '200': { description: 'Text exposition' } },
        },
      },
      '/openapi.json': {
        get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
    },
  };
}
