import { startTestBroker } from '@warren/testing';

/**
 * The RabbitMQ Warren's own integration tests run against, found as `startTestBroker()` finds
 * one for any app team (AMQP_URL, else localhost:5672, else Testcontainers). Most of these tests
 * also drive the broker with rabbitmqctl, so in practice it is a local one.
 */
export const BROKER_URL = (await startTestBroker()).url;
