/**
 * Stable error codes. Each transport maps a code to its own shape in one place
 * (OpenAI's error body on /v1, `{error: {code, message}}` on the admin API, an error reply on NATS).
 */
export const ErrorCodes = {
  validation: 'VALIDATION_FAILED',
  notFound: 'NOT_FOUND',
  conflict: 'CONFLICT',
  unauthorized: 'UNAUTHORIZED',
  forbidden: 'FORBIDDEN',
  keyNotFound: 'KEY.NOT_FOUND',
  keyNameTaken: 'KEY.NAME_TAKEN',
  keyAlreadyRevoked: 'KEY.ALREADY_REVOKED',
  keyNotActive: 'KEY.NOT_ACTIVE',
  keyAlreadyDisabled: 'KEY.ALREADY_DISABLED',
  keyNotDisabled: 'KEY.NOT_DISABLED',
  idempotencyKeyReused: 'IDEMPOTENCY.KEY_REUSED',
  providerInUse: 'PROVIDER.IN_USE',
  providerUrlNotAllowed: 'PROVIDER.URL_NOT_ALLOWED',
  keyWebhookUrlNotAllowed: 'KEY.WEBHOOK_URL_NOT_ALLOWED',
  adminTokenNotFound: 'ADMIN_TOKEN.NOT_FOUND',
  adminTokenNameTaken: 'ADMIN_TOKEN.NAME_TAKEN',
  adminTokenAlreadyRevoked: 'ADMIN_TOKEN.ALREADY_REVOKED',
  providerNotFound: 'PROVIDER.NOT_FOUND',
  providerNameTaken: 'PROVIDER.NAME_TAKEN',
  modelNotFound: 'MODEL.NOT_FOUND',
  modelNameTaken: 'MODEL.NAME_TAKEN',
  unavailable: 'UNAVAILABLE',
  internal: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** An error with a stable code, safe to show to the caller (never carries a secret). */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const httpStatusOf = (code: string): number => {
  switch (code) {
    case ErrorCodes.validation:
    case ErrorCodes.providerUrlNotAllowed:
    case ErrorCodes.keyWebhookUrlNotAllowed:
      return 400;
    case ErrorCodes.unauthorized:
      return 401;
    case ErrorCodes.forbidden:
      return 403;
    case ErrorCodes.notFound:
    case ErrorCodes.keyNotFound:
    case ErrorCodes.providerNotFound:
    case ErrorCodes.modelNotFound:
    case ErrorCodes.adminTokenNotFound:
      return 404;
    case ErrorCodes.conflict:
    case ErrorCodes.keyNameTaken:
    case ErrorCodes.keyAlreadyRevoked:
    case ErrorCodes.providerNameTaken:
    case ErrorCodes.modelNameTaken:
    case ErrorCodes.keyNotActive:
    case ErrorCodes.keyAlreadyDisabled:
    case ErrorCodes.keyNotDisabled:
    case ErrorCodes.idempotencyKeyReused:
    case ErrorCodes.providerInUse:
    case ErrorCodes.adminTokenNameTaken:
    case ErrorCodes.adminTokenAlreadyRevoked:
      return 409;
    case ErrorCodes.unavailable:
      return 503;
    default:
      return 500;
  }
};

/** OpenAI-shaped error, as the gateway returns it on /v1. */
export interface OpenAiError {
  status: number;
  type: string;
  code: string | null;
  message: string;
  param?: string | null;
  /** The key rule that refused the call (`ipAllowlist`, `models`, …); an addition to OpenAI's shape. */
  rule?: string;
}
