/**
 * Network failures without an HTTP response, described in one readable line and classified:
 * which are worth a retry and which are not. Shared by replay (sender.ts) and the platform
 * client (genesys/client.ts) so both retry the same things.
 *
 * Not worth a retry (issue #9): a host name that does not resolve (ENOTFOUND: a typo stays a
 * typo for the next try) and every TLS failure (a wrong protocol, a certificate that does not
 * verify: retrying cannot change the answer). A temporary DNS failure (EAI_AGAIN), refused or
 * reset connections and timeouts stay retryable.
 */

/** Certificate verification codes Node passes through from OpenSSL (X509_V_ERR_* without the prefix). */
const CERT_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'HOSTNAME_MISMATCH',
]);

export function isTlsErrorCode(code: string | undefined): boolean {
  if (!code) return false;
  return code === 'EPROTO' || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || CERT_CODES.has(code);
}

/** A failure that another try cannot fix: the host does not resolve, or TLS fails. */
export function isPermanentNetworkCode(code: string | undefined): boolean {
  return code === 'ENOTFOUND' || isTlsErrorCode(code);
}

/**
 * OpenSSL's text ("write EPROTO 80…:error:0A00010B:SSL routines:ssl3_get_record:wrong version
 * number:../deps/openssl/…:350:\n") reduced to its reason, "wrong version number".
 */
function openSslReason(message: string): string | undefined {
  const match = /SSL routines:[^:]*:([^:]+):/.exec(message);
  return match?.[1]?.trim() || undefined;
}

/** A short, stable one-line description without stack or internals beyond the error code. */
export function describeNetworkError(error: { code?: string | undefined; message?: string | undefined }): string {
  const code = error.code;
  const message = (error.message ?? '').replace(/\s+/g, ' ').trim();
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (ECONNREFUSED)';
    case 'ECONNRESET':
      return 'connection reset (ECONNRESET)';
    case 'ENOTFOUND':
      return 'host not found (ENOTFOUND)';
    case 'ETIMEDOUT':
      return 'connection timed out (ETIMEDOUT)';
    case 'EAI_AGAIN':
      return 'DNS lookup failed (EAI_AGAIN)';
  }
  if (isTlsErrorCode(code)) {
    const reason = openSslReason(message);
    if (reason) {
      // The usual cause of "wrong version number": https:// against a server speaking plain http.
      const hint = /wrong version number|packet length too long|http request/i.test(reason) ? ' (does the server speak plain http?)' : '';
      return `TLS handshake failed: ${reason}${hint} (${code})`;
    }
    return `TLS failed: ${message || 'handshake error'} (${code})`;
  }
  return code ? `${message || 'network error'} (${code})` : message || 'network error';
}
