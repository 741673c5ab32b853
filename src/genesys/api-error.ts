/**
 * A failed platform call, described only by plain data: the HTTP status, the platform's error
 * code and message, the response headers we care about. Built from SDK rejections by
 * client.ts, which never lets the raw SDK/axios error (its `config` holds the Authorization
 * header) escape. The harvester's retry predicates classify these.
 */
export type ApiErrorKind = 'http' | 'network' | 'timeout' | 'invalid-response';

export class GenesysApiError extends Error {
  override readonly name = 'GenesysApiError';
  readonly kind: ApiErrorKind;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly correlationId: string | undefined;
  readonly operation: string;
  /** The permission the call needs (contract §1), named when the platform answers 403. */
  readonly permission: string | undefined;
  /** No response, and another try cannot change that (DNS name unknown, TLS failure): not retried. */
  readonly permanent: boolean;

  constructor(
    operation: string,
    kind: ApiErrorKind,
    message: string,
    details: { status?: number; code?: string; headers?: Record<string, string>; permission?: string; permanent?: boolean } = {},
  ) {
    super(message);
    this.operation = operation;
    this.permission = details.permission;
    this.permanent = details.permanent === true;
    this.kind = kind;
    this.status = details.status;
    this.code = details.code;
    this.headers = details.headers ?? {};
    this.correlationId = this.headers['inin-correlation-id'];
  }

  /** e.g. `history page 3: HTTP 503 service.unavailable: The service is unavailable` */
  describe(): string {
    const status = this.status !== undefined ? `HTTP ${this.status}` : this.kind;
    const code = this.code ? ` ${this.code}` : '';
    const correlation = this.correlationId ? ` (correlation id ${this.correlationId})` : '';
    return `${this.operation}: ${status}${code}: ${this.message}${correlation}`;
  }
}
