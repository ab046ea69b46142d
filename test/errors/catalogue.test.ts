import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GuardstreamError, errorCatalogue, isErrorCode } from '../../src/errors/index.ts';

describe('error catalogue', () => {
  it('names every code GS_ERR_* with a message, an HTTP status and a retry flag', () => {
    for (const [code, spec] of Object.entries(errorCatalogue)) {
      assert.match(code, /^GS_ERR_[A-Z0-9_]+$/);
      assert.ok(spec.message.length > 0);
      assert.ok(spec.httpStatus >= 400 && spec.httpStatus < 600, code);
      assert.equal(typeof spec.retryable, 'boolean');
    }
  });

  it('turns an error into an OpenAI-style body with a type derived from the status', () => {
    const error = new GuardstreamError('GS_ERR_INVALID_REQUEST', {
      message: 'messages is required',
      param: 'messages',
    });
    assert.deepEqual(error.toBody(), {
      error: {
        message: 'messages is required',
        type: 'invalid_request_error',
        code: 'GS_ERR_INVALID_REQUEST',
        param: 'messages',
      },
    });
    assert.equal(
      new GuardstreamError('GS_ERR_KAFKA_UNAVAILABLE').toBody().error.type,
      'server_error',
    );
    assert.equal(new GuardstreamError('GS_ERR_NOT_FOUND').toBody().error.type, 'not_found_error');
  });

  it('keeps the catalogue message unless a more specific one is given, and the cause', () => {
    const cause = new Error('socket closed');
    const error = new GuardstreamError('GS_ERR_KAFKA_UNAVAILABLE', { cause });
    assert.equal(error.message, errorCatalogue.GS_ERR_KAFKA_UNAVAILABLE.message);
    assert.equal(error.retryable, true);
    assert.equal(error.httpStatus, 503);
    assert.equal(error.cause, cause);
  });

  it('recognises catalogue codes only', () => {
    assert.equal(isErrorCode('GS_ERR_INTERNAL'), true);
    assert.equal(isErrorCode('GS_ERR_NOPE'), false);
    assert.equal(isErrorCode('toString'), false);
  });
});
