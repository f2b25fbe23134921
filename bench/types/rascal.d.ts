// The part of rascal's API the benchmark uses (rascal ships no types; @types/rascal pins amqplib 0.x types).
declare module 'rascal' {
  import type { EventEmitter } from 'node:events';

  export interface SubscriptionSession extends EventEmitter {
    cancel(): Promise<void>;
  }
  export interface PublicationSession extends EventEmitter {}
  export class BrokerAsPromised extends EventEmitter {
    static create(config: object): Promise<BrokerAsPromised>;
    subscribe(name: string, overrides?: object): Promise<SubscriptionSession>;
    publish(name: string, message: unknown, overrides?: object): Promise<PublicationSession>;
    shutdown(): Promise<void>;
  }
  export function withDefaultConfig(config: object): object;
  const rascal: { BrokerAsPromised: typeof BrokerAsPromised; withDefaultConfig: typeof withDefaultConfig };
  export default rascal;
}
