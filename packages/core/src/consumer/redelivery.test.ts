import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyDelivery, type DeliveryFacts } from './redelivery.js';

const base: DeliveryFacts = { headers: {}, redelivered: false, queueType: 'classic', redeliveryLimit: 5, interruption: undefined };
const facts = (over: Partial<DeliveryFacts>): DeliveryFacts => ({ ...base, ...over });

describe('classifyDelivery (classic queue)', () => {
  it('a first delivery runs as attempt 1; a copy runs with the attempt it carries', () => {
    assert.deepEqual(classifyDelivery(base), { action: 'run', attempt: 1, suspect: false });
    assert.deepEqual(classifyDelivery(facts({ headers: { 'x-warren-attempt': 3 } })), { action: 'run', attempt: 3, suspect: false });
  });

  it('a counted copy (redeliveries > 0) is a suspect', () => {
    const h = { 'x-warren-attempt': 2, 'x-warren-redeliveries': 1 };
    assert.deepEqual(classifyDelivery(facts({ headers: h })), { action: 'run', attempt: 2, suspect: true });
  });

  it('an unexplained redelivery is counted as an attempt and a suspect', () => {
    assert.deepEqual(classifyDelivery(facts({ redelivered: true })), { action: 'count', attempt: 2, redeliveries: 1 });
  });

  it('a redelivery this process knows never started costs nothing', () => {
    assert.deepEqual(classifyDelivery(facts({ redelivered: true, interruption: 'not-started' })), {
      action: 'run',
      attempt: 1,
      suspect: false,
    });
  });

  it('a redelivery whose handler was running here when the channel died is an attempt, not a suspect', () => {
    const h = { 'x-warren-attempt': 2, 'x-warren-redeliveries': 0 };
    assert.deepEqual(classifyDelivery(facts({ headers: h, redelivered: true, interruption: 'started' })), {
      action: 'count',
      attempt: 3,
      redeliveries: 0,
    });
  });

  it('past redeliveryLimit a redelivery is dead-lettered without running', () => {
    const h = { 'x-warren-attempt': 5 };
    assert.deepEqual(classifyDelivery(facts({ headers: h, redelivered: true })), { action: 'limit', attempt: 6 });
  });

  it('garbage counts read as absent: attempt 1, no suspect', () => {
    for (const v of ['', 'abc', -1, 1.5, 1e300, [1], { a: 1 }, null, true, '0']) {
      const got = classifyDelivery(facts({ headers: { 'x-warren-attempt': v, 'x-warren-redeliveries': v } }));
      assert.deepEqual(got, { action: 'run', attempt: 1, suspect: false }, JSON.stringify(v));
    }
  });
});

describe('classifyDelivery (quorum queue)', () => {
  const q = (over: Partial<DeliveryFacts>) => facts({ queueType: 'quorum', ...over });
  it("adds the broker's delivery count to the attempt and makes a returned message a suspect", () => {
    assert.deepEqual(classifyDelivery(q({ headers: { 'x-delivery-count': 2 } })), { action: 'run', attempt: 3, suspect: true });
  });
  it('dead-letters a suspect past the limit', () => {
    assert.deepEqual(classifyDelivery(q({ headers: { 'x-delivery-count': 5 } })), { action: 'limit', attempt: 6 });
  });
  it('a return this process caused (its channel lost with a node) is no suspect, and free if never started', () => {
    const once = { headers: { 'x-delivery-count': 1 }, redelivered: true };
    assert.deepEqual(classifyDelivery(q({ ...once, interruption: 'not-started' })), { action: 'run', attempt: 1, suspect: false });
    assert.deepEqual(classifyDelivery(q({ ...once, interruption: 'started' })), { action: 'run', attempt: 2, suspect: false });
    // Returned before as well (a worker died with it): still a suspect.
    const twice = { headers: { 'x-delivery-count': 2 }, redelivered: true };
    assert.deepEqual(classifyDelivery(q({ ...twice, interruption: 'not-started' })), { action: 'run', attempt: 2, suspect: true });
  });
});
