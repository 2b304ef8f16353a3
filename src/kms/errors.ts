import { EmuError } from '../errors.ts';

/** AWS exception names the emulated KMS answers with, and the HTTP status real KMS pairs with each. */
export const KMS_ERROR_STATUS = {
  AccessDeniedException: 400,
  AlreadyExistsException: 400,
  DisabledException: 400,
  DryRunOperationException: 412,
  IncorrectKeyException: 400,
  InvalidAliasNameException: 400,
  InvalidCiphertextException: 400,
  InvalidGrantIdException: 400,
  InvalidGrantTokenException: 400,
  InvalidKeyUsageException: 400,
  KMSInternalException: 500,
  KMSInvalidStateException: 400,
  LimitExceededException: 400,
  MalformedPolicyDocumentException: 400,
  NotFoundException: 400,
  SerializationException: 400,
  ThrottlingException: 400,
  UnknownOperationException: 400,
  UnrecognizedClientException: 400,
  UnsupportedOperationException: 400,
  ValidationException: 400,
} as const;

export type KmsErrorType = keyof typeof KMS_ERROR_STATUS;

/**
 * A KMS refusal. `code` is our stable code (tests and checkers match on it); `awsType` is the exception name a
 * real AWS SDK sees; `awsMessage` is the text that goes on the wire, so it must never carry secrets.
 */
export class KmsError extends EmuError {
  readonly awsType: KmsErrorType;
  readonly awsMessage: string;

  constructor(code: string, awsType: KmsErrorType, awsMessage: string, details?: Record<string, unknown>) {
    super(code, awsMessage, details);
    this.name = 'KmsError';
    this.awsType = awsType;
    this.awsMessage = awsMessage;
  }

  get httpStatus(): number {
    return KMS_ERROR_STATUS[this.awsType];
  }

  /** Audit outcome: a refusal by policy or attestation is a denial, anything else an error. */
  get outcome(): 'denied' | 'error' {
    return this.awsType === 'AccessDeniedException' ? 'denied' : 'error';
  }
}

export function isKmsError(error: unknown, code?: string): error is KmsError {
  return error instanceof KmsError && (code === undefined || error.code === code);
}

/** The one-line shape AWS uses for constraint violations ("1 validation error detected: …"). */
export function validationError(field: string, constraint: string, details?: Record<string, unknown>): KmsError {
  const member = field.charAt(0).toLowerCase() + field.slice(1);
  return new KmsError(
    'KMS_VALIDATION',
    'ValidationException',
    `1 validation error detected: Value at '${member}' failed to satisfy constraint: ${constraint}`,
    { field, ...details },
  );
}

/** Every ciphertext failure looks the same from outside: which check failed is nobody's business. */
export function invalidCiphertext(): KmsError {
  return new KmsError('KMS_INVALID_CIPHERTEXT', 'InvalidCiphertextException', 'The ciphertext is invalid.');
}

export function notFound(what: string): KmsError {
  return new KmsError('KMS_NOT_FOUND', 'NotFoundException', `${what} does not exist`);
}

/** Real KMS's answer to any use of a key pending deletion other than reading its metadata or policy. */
export function pendingDeletion(arn: string): KmsError {
  return new KmsError('KMS_INVALID_STATE', 'KMSInvalidStateException', `${arn} is pending deletion.`);
}
