import { GenericError, MultipleErrors } from '@platformatic/kafka';
import { GuardstreamError, isGuardstreamError } from '../errors/index.ts';

/**
 * Maps client-library errors onto the catalogue so callers branch on `code` and `retryable`
 * rather than on another library's class hierarchy.
 */
export function toKafkaError(error: unknown, operation: string): GuardstreamError {
  if (isGuardstreamError(error)) return error;
  const cause = error instanceof Error ? error : new Error(String(error));
  const details = { operation, cause: cause.message, kafkaCode: kafkaCodeOf(cause) };
  // Before the network check: the client reports a refused login or certificate as a failed
  // connection, which retrying cannot mend.
  const refusal = securityRefusal(cause);
  if (refusal !== undefined) {
    return new GuardstreamError('GS_ERR_KAFKA_AUTH', {
      message: `Kafka ${operation} failed: ${refusal}`,
      cause,
      details,
    });
  }
  if (isTimeout(cause)) {
    return new GuardstreamError('GS_ERR_KAFKA_TIMEOUT', {
      message: `Kafka ${operation} timed out: ${cause.message}`,
      cause,
      details,
    });
  }
  if (isNetwork(cause)) {
    return new GuardstreamError('GS_ERR_KAFKA_UNAVAILABLE', {
      message: `Kafka ${operation} failed: the cluster is not reachable (${cause.message})`,
      cause,
      details,
    });
  }
  const retryable = canRetry(cause);
  return new GuardstreamError(retryable ? 'GS_ERR_KAFKA_UNAVAILABLE' : 'GS_ERR_KAFKA_REQUEST', {
    message: `Kafka ${operation} failed: ${cause.message}`,
    cause,
    details,
  });
}

function kafkaCodeOf(error: Error): string | undefined {
  return GenericError.isGenericError(error) ? error.code : undefined;
}

function nested(error: Error): Error[] {
  if (error instanceof MultipleErrors || error instanceof AggregateError) {
    return (error.errors as unknown[]).filter((inner): inner is Error => inner instanceof Error);
  }
  return [];
}

function some(error: Error, predicate: (candidate: Error) => boolean): boolean {
  if (predicate(error)) return true;
  if (error.cause instanceof Error && some(error.cause, predicate)) return true;
  return nested(error).some((inner) => some(inner, predicate));
}

function isTimeout(error: Error): boolean {
  return some(
    error,
    (candidate) => GenericError.isGenericError(candidate) && candidate.code === 'PLT_KFK_TIMEOUT',
  );
}

function isNetwork(error: Error): boolean {
  return some(error, (candidate) => {
    if (GenericError.isGenericError(candidate) && candidate.code === 'PLT_KFK_NETWORK') return true;
    const sysCode = (candidate as NodeJS.ErrnoException).code;
    return sysCode === 'ECONNREFUSED' || sysCode === 'ECONNRESET' || sysCode === 'EPIPE';
  });
}

function canRetry(error: Error): boolean {
  return some(error, (candidate) => (candidate as { canRetry?: unknown }).canRetry === true);
}

/** Certificate problems node's TLS reports by code, with what to check. */
const certificateCodes = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Why the cluster refused this client (credentials, certificate), or undefined. */
function securityRefusal(error: Error): string | undefined {
  let found: string | undefined;
  // First our own OAuth token provider's refusal, which the client library wraps in its
  // authentication error: it says more.
  some(error, (candidate) => {
    if (isGuardstreamError(candidate) && candidate.code === 'GS_ERR_KAFKA_AUTH') {
      found = candidate.message;
      return true;
    }
    return false;
  });
  if (found !== undefined) return found;
  some(error, (candidate) => {
    if (GenericError.isGenericError(candidate) && candidate.code === 'PLT_KFK_AUTHENTICATION') {
      found = `the brokers refused the SASL login (${candidate.message.replace(/\.$/, '')}): check kafka.sasl`;
      return true;
    }
    // PLAIN reports a refused login as the SaslAuthenticate response's error.
    if (
      /SASL_AUTHENTICATION_FAILED|Authentication failed: Invalid username or password/i.test(
        candidate.message,
      )
    ) {
      found = `the brokers refused the SASL login (${candidate.message}): check kafka.sasl`;
      return true;
    }
    const code = (candidate as NodeJS.ErrnoException).code;
    if (code !== undefined && certificateCodes.has(code)) {
      found = `the brokers' TLS certificate was not accepted (${candidate.message}): check kafka.tls.caFile and kafka.tls.serverName`;
      return true;
    }
    return false;
  });
  return found;
}
