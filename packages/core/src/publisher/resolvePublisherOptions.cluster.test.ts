import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConnectionManager } from '../connection/ConnectionManager.js';
import { ConfigError } from '../errors/WarrenError.js';
import { resolvePublisherOptions } from './resolvePublisherOptions.js';

const ONE = 'amqp://guest:guest@127.0.0.1:5681';
const THREE = [ONE, 'amqp://guest:guest@127.0.0.1:5682', 'amqp://guest:guest@127.0.0.1:5683'];
const NO_ENV = {};
const shared = (addressCount: number) => ({ createConfirmChannel: () => undefined, addressCount }) as unknown as ConnectionManager;

describe('publisher options on a cluster', () => {
  it('re-sends what a lost node left unconfirmed by default with several URLs, not with one', () => {
    assert.equal(resolvePublisherOptions({ urls: THREE }, NO_ENV).republishUnconfirmed, true);
    assert.equal(resolvePublisherOptions({ urls: THREE.join(',') }, NO_ENV).republishUnconfirmed, true);
    assert.equal(resolvePublisherOptions({ url: ONE }, NO_ENV).republishUnconfirmed, false);
    assert.equal(resolvePublisherOptions({}, { WARREN_URL: THREE.join(',') }).republishUnconfirmed, true);
  });

  it('a shared connection decides by its own URL count; an explicit choice always wins', () => {
    assert.equal(resolvePublisherOptions({ connection: shared(3) }, NO_ENV).republishUnconfirmed, true);
    assert.equal(resolvePublisherOptions({ connection: shared(1) }, NO_ENV).republishUnconfirmed, false);
    assert.equal(resolvePublisherOptions({ urls: THREE, republishUnconfirmed: false }, NO_ENV).republishUnconfirmed, false);
    assert.equal(resolvePublisherOptions({ url: ONE, republishUnconfirmed: true }, NO_ENV).republishUnconfirmed, true);
  });

  it('shuffle: off by default, a boolean, and only for a connection of its own', () => {
    assert.equal(resolvePublisherOptions({ urls: THREE }, NO_ENV).shuffle, false);
    assert.equal(resolvePublisherOptions({ urls: THREE, shuffle: true }, NO_ENV).shuffle, true);
    const refused = (options: object, detail: RegExp) =>
      assert.throws(
        () => resolvePublisherOptions(options, NO_ENV),
        (e: unknown) => e instanceof ConfigError && /option "shuffle"/.test(e.message) && detail.test(e.message),
      );
    refused({ urls: THREE, shuffle: 'yes' }, /true or false/);
    refused({ connection: shared(3), shuffle: true }, /shared "connection"/);
  });
});
