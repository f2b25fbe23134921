import * as amqp from 'amqplib';
import type { TlsOptions } from './brokerTls.js';
import type { BrokerAddress } from './brokerUrl.js';

/** How a connection logs in: a user and password (PLAIN), or the client certificate (EXTERNAL). */
export type LoginMechanism = 'PLAIN' | 'EXTERNAL';

/** A client certificate and a URL without user and password: log in as the certificate. */
export function loginMechanism(address: BrokerAddress, tls: TlsOptions | undefined): LoginMechanism {
  return address.protocol === 'amqps' && tls?.cert !== undefined && !address.hasCredentials ? 'EXTERNAL' : 'PLAIN';
}

export interface ConnectSettings {
  heartbeatSec: number;
  timeoutMs: number;
  connectionName: string;
}

/**
 * amqplib's two arguments for one attempt: the address as an object (so the password never
 * goes through a URL string amqplib might echo), and the socket options: TLS settings for an
 * amqps:// broker (Node's tls.connect takes them as they are), and SASL EXTERNAL credentials
 * when logging in by certificate.
 */
export function connectArguments(
  address: BrokerAddress,
  tls: TlsOptions | undefined,
  settings: ConnectSettings,
): [amqp.Options.Connect, Record<string, unknown>] {
  const url: amqp.Options.Connect = {
    protocol: address.protocol,
    hostname: address.hostname,
    port: address.port,
    username: address.username,
    password: address.password,
    vhost: address.vhost,
    heartbeat: address.heartbeat ?? settings.heartbeatSec,
  };
  const socket: Record<string, unknown> = {
    noDelay: true,
    timeout: settings.timeoutMs,
    clientProperties: { connection_name: settings.connectionName, product: 'warren' },
  };
  if (address.protocol === 'amqps' && tls !== undefined) {
    for (const key of ['ca', 'cert', 'key', 'passphrase', 'servername', 'rejectUnauthorized'] as const) {
      if (tls[key] !== undefined) socket[key] = tls[key];
    }
    if (loginMechanism(address, tls) === 'EXTERNAL') socket.credentials = amqp.credentials.external();
  }
  return [url, socket];
}
