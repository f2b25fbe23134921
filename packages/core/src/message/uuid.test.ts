import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_PREFIX, newUuid } from './uuid.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newUuid', () => {
  it('makes version 4 UUIDs, all different, across many refills of its random bytes', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = newUuid();
      assert.match(id, V4);
      seen.add(id);
    }
    assert.equal(seen.size, 10_000);
  });

  it('puts a prefix before the UUID, and a later call without one has none', () => {
    const id = newUuid('w1.1796230948227.');
    assert.ok(id.startsWith('w1.1796230948227.'));
    assert.match(id.slice('w1.1796230948227.'.length), V4);
    assert.match(newUuid(), V4);
  });

  it('refuses a prefix too long for its buffer, rather than cutting the UUID short', () => {
    assert.match(newUuid('x'.repeat(MAX_PREFIX)).slice(MAX_PREFIX), V4);
    assert.throws(() => newUuid('x'.repeat(MAX_PREFIX + 1)), RangeError);
  });

  it('spreads its bits: every hex digit appears in every random position', () => {
    // A slip in the nibble order or the offsets would leave a position stuck.
    const digits = Array.from({ length: 36 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) {
      const id = newUuid();
      for (let p = 0; p < id.length; p++) digits[p]?.add(id.charAt(p));
    }
    const fixed = new Set([8, 13, 14, 18, 19, 23]); // dashes, the version, the variant
    for (let p = 0; p < 36; p++) if (!fixed.has(p)) assert.equal(digits[p]?.size, 16, `position ${p}`);
    assert.deepEqual([...(digits[19] ?? [])].sort(), ['8', '9', 'a', 'b']);
  });
});
