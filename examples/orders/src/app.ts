import 'reflect-metadata';
import { defineApp } from '@warren/core';
import { Billing } from './Billing.js';
import { OrderChargedWorker } from './OrderChargedWorker.js';
import { OrderPlacedWorker } from './OrderPlacedWorker.js';

export { Billing, PaymentGatewayUnavailableError } from './Billing.js';
export type { OrderCharged, OrderPlaced } from './orders.js';
export { OrderChargedWorker, OrderPlacedWorker };

/** Run it with `warren start examples/orders/dist/app.js` (after `npm run build`). */
export default defineApp({
  name: 'orders',
  consumers: [OrderPlacedWorker, OrderChargedWorker],
  configure: (container) => {
    container.bind(Billing).toSelf().inSingletonScope();
  },
});
