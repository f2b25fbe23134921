/** Inversify service identifier for the app's pino Logger. (`Publisher` is bound under its class.) */
export const LOGGER = Symbol.for('@warren/core/Logger');
