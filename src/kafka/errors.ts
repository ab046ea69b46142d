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
