/**
 * What a TLS failure while connecting means, in words a person can act on, by the error's code
 * (Node's for the certificate checks, OpenSSL's `ERR_SSL_*` for the broker's TLS alerts).
 * Undefined when `code` is not a TLS failure. Every one of these is fatal: trying again with the
 * same certificates can only fail the same way.
 */
export function describeTlsFailure(
  code: string,
  detail: { host?: string; certNames?: string; clientCertificate: boolean },
): string | undefined {
  if (UNTRUSTED.has(code)) {
    return `the broker's certificate is not signed by a trusted CA (${code}); pass the CA that signed it: --tls-ca, WARREN_TLS_CA or tls.ca`;
  }
  if (code === 'CERT_HAS_EXPIRED') return `the broker's certificate has expired (${code}): the broker needs a new one`;
  if (code === 'CERT_NOT_YET_VALID') return `the broker's certificate is not valid yet (${code}): check this machine's clock`;
  if (code === 'CERT_REVOKED') return `the broker's certificate has been revoked (${code})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = detail.certNames === undefined ? '' : ` (it is for ${detail.certNames})`;
    return `the broker's certificate is not for "${detail.host ?? 'this host'}"${names}, a hostname mismatch (${code}): connect by a name it lists, or set --tls-servername, WARREN_TLS_SERVERNAME or tls.servername`;
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return `it does not answer TLS on that port (${code}): is it the plain AMQP port? amqps:// is usually port 5671`;
  }
  if (code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED') {
    return `the broker requires a client certificate (${code}): pass --tls-cert and --tls-key (or tls.cert and tls.key)`;
  }
  if (CLIENT_CERT_ALERTS.has(code) || (detail.clientCertificate && code === 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE')) {
    return `the broker refused the client certificate (${code}): it must be signed by a CA the broker trusts (its ssl_options.cacertfile), be in its validity period and be meant for client authentication`;
  }
  // Any other alert or OpenSSL failure (no shared protocol version or cipher): settings, not a passing fault.
  if (code.startsWith('ERR_SSL_')) return `the TLS handshake failed (${code})`;
  return undefined;
}

/** The chain does not lead to a CA this side trusts. */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** TLS alerts a broker sends about the certificate this side presented (RFC 8446 §6.2). */
const CLIENT_CERT_ALERTS = new Set([
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
  'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
  'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR',
]);
