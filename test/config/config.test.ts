import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  configJsonSchema,
  loadConfig,
  parseConfigText,
  validateConfig,
} from '../../src/config/index.ts';
import { GuardstreamError } from '../../src/errors/index.ts';

const threeMistakes = `kafka:
  embedded:
    port: 99999
server:
  port: "eighty"
colour: blue
`;

describe('configuration', () => {
  it('has a default for every key, so no file means embedded defaults', () => {
    const result = validateConfig({});
    assert.ok(result.ok);
    assert.deepEqual(result.config.kafka.bootstrapServers, []);
    assert.equal(result.config.kafka.embedded.port, 9092);
    assert.equal(result.config.server.host, '127.0.0.1');
    assert.equal(result.config.server.port, 8080);
  });

  it('lists every mistake with its path and line, unknown keys included', () => {
    const result = parseConfigText(threeMistakes);
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.issues.map((issue) => [issue.path, issue.line]),
      [
        ['kafka.embedded.port', 3],
        ['server.port', 5],
        ['colour', 6],
      ],
    );
    assert.match(result.issues[2]?.message ?? '', /unknown key/);
  });

  it('rejects unknown keys at any depth', () => {
    const result = validateConfig({ kafka: { embedded: { prot: 1 } } });
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.issues.map((issue) => issue.path),
      ['kafka.embedded.prot'],
    );
  });

  it('reports YAML syntax errors with a line', () => {
    const result = parseConfigText('server:\n  port: [1,\n');
    assert.equal(result.ok, false);
    assert.match(result.issues[0]?.message ?? '', /^YAML:/);
    assert.equal(typeof result.issues[0]?.line, 'number');
  });

  it('lets documented environment variables override the file, validated at the key path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-config-'));
    writeFileSync(join(dir, 'guardstream.yaml'), 'server:\n  port: 8081\n');
    const config = loadConfig({
      cwd: dir,
      env: {
        GUARDSTREAM_SERVER_PORT: '9999',
        KAFKA_BOOTSTRAP_SERVERS: 'broker-1:9092, broker-2:9092',
      },
    });
    assert.equal(config.server.port, 9999);
    assert.deepEqual(config.kafka.bootstrapServers, ['broker-1:9092', 'broker-2:9092']);

    assert.throws(
      () => loadConfig({ cwd: dir, env: { GUARDSTREAM_SERVER_PORT: 'abc' } }),
      (error: unknown) =>
        error instanceof GuardstreamError &&
        error.code === 'GS_ERR_CONFIG_INVALID' &&
        /server\.port/.test(error.message),
    );
  });

  it('fails with GS_ERR_CONFIG_NOT_FOUND for a named file that does not exist', () => {
    assert.throws(() => loadConfig({ file: '/nonexistent/guardstream.yaml', env: {} }), {
      code: 'GS_ERR_CONFIG_NOT_FOUND',
    });
  });

  it('exports a JSON Schema that forbids unknown keys and carries the defaults', () => {
    const schema = configJsonSchema() as {
      additionalProperties: boolean;
      properties: { server: { properties: { port: { default: number } } } };
    };
    assert.equal(schema.additionalProperties, false);
    assert.equal(schema.properties.server.properties.port.default, 8080);
  });
});
