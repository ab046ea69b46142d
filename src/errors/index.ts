/**
 * The one error catalogue. Every error Guardstream raises on purpose carries a `GS_ERR_*` code
 * from here, so operators can grep logs, HTTP clients can branch on `error.code`, and retry
 * logic can trust `retryable` instead of parsing messages. docs/errors.md mirrors this table
 * and a test keeps the two in step.
 */
export interface ErrorSpec {
  readonly message: string;
  readonly httpStatus: number;
  readonly retryable: boolean;
}

export const errorCatalogue = {
  GS_ERR_CONFIG_INVALID: {
    message: 'The configuration is invalid',
    httpStatus: 500,
    retryable: false,
  },
  GS_ERR_CONFIG_NOT_FOUND: {
    message: 'The configuration file does not exist',
    httpStatus: 500,
    retryable: false,
  },
  GS_ERR_KAFKA_UNAVAILABLE: {
    message: 'The Kafka cluster is not reachable',
    httpStatus: 503,
    retryable: true,
  },
  GS_ERR_KAFKA_TIMEOUT: {
    message: 'A Kafka request timed out',
    httpStatus: 504,
    retryable: true,
  },
  GS_ERR_KAFKA_REQUEST: {
    message: 'Kafka rejected the request',
    httpStatus: 502,
    retryable: false,
  },
  GS_ERR_KAFKA_AUTH: {
    message: 'The Kafka cluster refused this client: its SASL login or TLS certificate',
    httpStatus: 502,
    retryable: false,
  },
  GS_ERR_KAFKA_SERDE: {
    message: 'A Kafka record could not be serialised or deserialised',
    httpStatus: 400,
    retryable: false,
  },
  GS_ERR_BROKER_INSTALL: {
    message: 'The local Kafka broker could not be installed',
    httpStatus: 500,
    retryable: false,
  },
  GS_ERR_BROKER_START: {
    message: 'The local Kafka broker did not start',
    httpStatus: 500,
    retryable: true,
  },
  GS_ERR_BROKER_NOT_RUNNING: {
    message: 'No local Kafka broker is running',
    httpStatus: 503,
    retryable: false,
  },
  GS_ERR_CRYPTO: {
    message: 'A value could not be encrypted or decrypted',
    httpStatus: 400,
    retryable: false,
  },
  GS_ERR_MODEL_FETCH: {
    message: 'A model artifact could not be downloaded from its registry',
    httpStatus: 503,
    retryable: true,
  },
  GS_ERR_MODEL_INTEGRITY: {
    message: 'A model artifact does not match its pinned sha256',
    httpStatus: 500,
    retryable: false,
  },
  GS_ERR_MODEL_MISSING: {
    message: 'A model is not in the local cache; run `guardstream models fetch`',
    httpStatus: 503,
    retryable: false,
  },
  GS_ERR_UNAUTHENTICATED: {
    message: 'Missing or invalid credentials: send an API key or a bearer token',
    httpStatus: 401,
    retryable: false,
  },
  GS_ERR_FORBIDDEN: {
    message: 'The caller is not entitled to this resource',
    httpStatus: 403,
    retryable: false,
  },
  GS_ERR_RATE_LIMITED: {
    message: "Too many requests for this caller's rate limit",
    httpStatus: 429,
    retryable: true,
  },
  GS_ERR_GUARD_BLOCKED: {
    message: 'The request was blocked by a guard rail',
    httpStatus: 400,
    retryable: false,
  },
  GS_ERR_SOVEREIGNTY: {
    message: 'No provider the data of this request may go to serves the model',
    httpStatus: 403,
    retryable: false,
  },
  GS_ERR_PAYLOAD_TOO_LARGE: {
    message: 'The request body is larger than the configured limit',
    httpStatus: 413,
    retryable: false,
  },
  GS_ERR_UPSTREAM: {
    message: 'The model provider failed',
    httpStatus: 502,
    retryable: true,
  },
  GS_ERR_UPSTREAM_TIMEOUT: {
    message: 'The model provider did not answer in time',
    httpStatus: 504,
    retryable: true,
  },
  GS_ERR_INVALID_REQUEST: {
    message: 'The request is invalid',
    httpStatus: 400,
    retryable: false,
  },
  GS_ERR_NOT_FOUND: {
    message: 'The requested resource does not exist',
    httpStatus: 404,
    retryable: false,
  },
  GS_ERR_INTERNAL: {
    message: 'An internal error occurred',
    httpStatus: 500,
    retryable: false,
  },
} as const satisfies Record<`GS_ERR_${string}`, ErrorSpec>;

export type ErrorCode = keyof typeof errorCatalogue;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(errorCatalogue, value);
}

/** OpenAI-compatible error body, so any OpenAI SDK surfaces our errors naturally. */
export interface ErrorBody {
  error: {
    message: string;
    type: string;
    code: ErrorCode;
    param: string | null;
  };
}

export interface GuardstreamErrorOptions {
  /** Replaces the catalogue message when a more specific one helps the reader. */
  message?: string;
  cause?: unknown;
  details?: Readonly<Record<string, unknown>>;
  param?: string;
}

export class GuardstreamError extends Error {
  override readonly name = 'GuardstreamError';
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;
  readonly param: string | null;

  constructor(code: ErrorCode, options: GuardstreamErrorOptions = {}) {
    const spec = errorCatalogue[code];
    super(
      options.message ?? spec.message,
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.code = code;
    this.httpStatus = spec.httpStatus;
    this.retryable = spec.retryable;
    this.details = options.details ?? {};
    this.param = options.param ?? null;
  }

  toBody(): ErrorBody {
    return {
      error: {
        message: this.message,
        type: errorType(this.httpStatus),
        code: this.code,
        param: this.param,
      },
    };
  }
}

export function isGuardstreamError(error: unknown): error is GuardstreamError {
  return error instanceof GuardstreamError;
}

/** The OpenAI `type` vocabulary, derived from the status so the two cannot disagree. */
function errorType(httpStatus: number): string {
  if (httpStatus === 401) return 'authentication_error';
  if (httpStatus === 403) return 'permission_error';
  if (httpStatus === 404) return 'not_found_error';
  if (httpStatus === 429) return 'rate_limit_error';
  if (httpStatus >= 400 && httpStatus < 500) return 'invalid_request_error';
  return 'server_error';
}
