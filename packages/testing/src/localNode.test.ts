import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeAnswer, erlangBinary, jsonTerm } from './localNode.js';

test("a value comes back whole, in hex, whatever it holds (erl_call prints a binary's first 30 bytes, a string unescaped)", () => {
  const json = JSON.stringify([{ name: 't.q "x"\n\\ é', ready: 3 }, 'a'.repeat(100)]);
  const hex = Buffer.from(json, 'utf8').toString('hex').toUpperCase();
  assert.equal(decodeAnswer(`{ok, "${hex}"}`), json);
  assert.equal(decodeAnswer(`{ok, "${hex}"}\n`), json);
  assert.equal(decodeAnswer('{ok, []}'), '');
  assert.match(jsonTerm('node()'), /^binary_to_list\(binary:encode_hex\(iolist_to_binary\(rabbit_json:encode\(node\(\)\)\)\)\)$/);
});

test('anything else is no value: an error on the node, or no node at all', () => {
  assert.throws(() => decodeAnswer('{error, {undef, [{binary, encode_hex, 1}]}}'), /no value/);
  assert.throws(() => decodeAnswer('erl_call: failed to connect to node rabbit@localhost'), /no value/);
  assert.throws(() => decodeAnswer('{ok, #Bin<91,93>}'), /no value/);
});

test('a name goes into an expression as bytes: quotes, backslashes and UTF-8 are never read as Erlang', () => {
  assert.equal(erlangBinary('a"b'), '<<97,34,98>>');
  assert.equal(erlangBinary('\\'), '<<92>>');
  assert.equal(erlangBinary('é'), '<<195,169>>');
  assert.equal(erlangBinary(''), '<<>>');
});
