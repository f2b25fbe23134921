import 'reflect-metadata';
import { injectable } from 'inversify';
import type { ConsumerOptions } from '../options/ConsumerOptions.js';

const CONSUMER_METADATA = Symbol.for('@warren/core/consumer');

/**
 * Marks a `Worker` subclass as the consumer of a queue. It only records the options (checked
 * when the app starts) and makes the class injectable, so its constructor dependencies resolve
 * from the app's Inversify container.
 */
export function Consumer(options: ConsumerOptions): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(CONSUMER_METADATA, options, target);
    injectable()(target);
  };
}

/** The options a class was decorated with, or undefined if it has no `@Consumer`. */
export function getConsumerOptions(target: object): ConsumerOptions | undefined {
  return Reflect.getOwnMetadata(CONSUMER_METADATA, target) as ConsumerOptions | undefined;
}
