import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectionNameIn } from './connectionName.js';

describe('connectionNameIn', () => {
  it("reads connection_name from rabbitmqctl's JSON client properties, and gives '' when there is none yet", () => {
    assert.equal(
      connectionNameIn([
        ['product', 'longstr', 'amqplib'],
        ['connection_name', 'longstr', 'app:consume'],
      ]),
      'app:consume',
    );
    assert.equal(connectionNameIn([['product', 'longstr', 'amqplib']]), '');
    // A connection in its handshake: the node has no properties for it yet.
    assert.equal(connectionNameIn('none'), '');
    assert.equal(connectionNameIn(undefined), '');
  });
});
