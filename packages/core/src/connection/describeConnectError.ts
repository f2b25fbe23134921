import { ConfigError, ConnectionError, WarrenError } from '../errors/WarrenError.js';
import { describeTlsFailure } from './describeTlsError.js';

interface AmqpLikeError {
  code?: unknown;
  message?: unknown;
  /** Node's hostname check: the host asked for, and the certificate it got. */
  host?: unknown;
  cert?: { subjectaltname?: unknown };
}

/** What the attempt was: how it logged in, and whether it presented a client certificate. */
export interface ConnectAttempt {
  login?: { mechanism: 'PLAIN' | 'EXTERNAL'; user: string };
  clientCertificate?: boolean;
}

/**
 * Turns what amqplib or the socket threw while connecting into a one-line ConnectionError a
 * person can act on. Fatal ones (bad credentials, unknown vhost, bad URL) are not transient:
 * retrying them only hammers the broker (amqplib's own recovery retries even a 403).
 */
export function describeConnectError(error: unknown, where: string, attempt: ConnectAttempt = {}): WarrenError {
  if (WarrenError.is(error)) return error;
  const e = (error ?? {}) as AmqpLikeError;
  const message = typeof e.message === 'string' ? e.message : String(error);
  const code = e.code;
  const tls =
    typeof code === 'string'
      ? describeTlsFailure(code, {
          host: typeof e.host === 'string' ? e.host : undefined,
          certNames: typeof e.cert?.subjectaltname === 'string' ? e.cert.subjectaltname : undefined,
          clientCertificate: attempt.clientCertificate === true,
        })
      : undefined;
  if (tls !== undefined) return new ConnectionError('WARREN_ERR_TLS', `broker ${where}: ${tls}`, { cause: error, transient: false });
  if (/SASL mechanism EXTERNAL is not provided/.test(message)) {
    return new ConnectionError(
      'WARREN_ERR_AUTH',
      `broker ${where} does not offer certificate login (SASL EXTERNAL): enable its rabbitmq_auth_mechanism_ssl plugin and EXTERNAL in auth_mechanisms, or put a user and password in the URL`,
      { cause: error, transient: false },
    );
  }
  if (attempt.login?.mechanism === 'EXTERNAL' && (code === 403 || /ACCESS[-_]REFUSED/.test(message))) {
    return new ConnectionError(
      'WARREN_ERR_AUTH',
      `broker ${where} refused the certificate login as "${attempt.login.user}" (EXTERNAL, 403 ACCESS_REFUSED): the broker must have that user (ssl_cert_login_from picks the name) with access to the vhost`,
      { cause: error, transient: false },
    );
  }
  if (code === 403 || /ACCESS[-_]REFUSED/.test(message)) {
    return new ConnectionError('WARREN_ERR_AUTH', `broker ${where} refused the login: wrong user name or password (403 ACCESS_REFUSED)`, {
      cause: error,
      transient: false,
    });
  }
  // Refusals that pass on their own: a vhost still booting, a connection limit, a broker shutting down.
  const passing = /is down|limit \(\d+\) is reached|CONNECTION_FORCED|INTERNAL_ERROR/.test(message);
  if (!passing && (code === 530 || /NOT_ALLOWED/.test(message) || /Expected ConnectionOpenOk; got <ConnectionClose/.test(message))) {
    return new ConnectionError(
      'WARREN_ERR_VHOST',
      `broker ${where}: the virtual host does not exist or this user may not use it (530 NOT_ALLOWED)`,
      { cause: error, transient: false },
    );
  }
  if (/Expected amqp: or amqps:/.test(message)) {
    return new ConfigError(`broker URL ${where} must start with amqp:// or amqps://`, { cause: error }, 'WARREN_ERR_BAD_URL');
  }
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused: is RabbitMQ running and listening on that port?',
    ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name lookup failed (temporary DNS failure)',
    ETIMEDOUT: 'timed out',
    EHOSTUNREACH: 'host unreachable',
    ECONNRESET: 'connection reset by the peer',
  };
  const sysCode = typeof code === 'string' ? code : /connect ETIMEDOUT/.test(message) ? 'ETIMEDOUT' : undefined;
  const reason = (sysCode !== undefined ? reasons[sysCode] : undefined) ?? message;
  return new ConnectionError(
    'WARREN_ERR_CONNECT',
    `cannot reach broker ${where}: ${reason}${sysCode !== undefined ? ` (${sysCode})` : ''}`,
    { cause: error, transient: true },
  );
}
