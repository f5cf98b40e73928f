import assert from 'node:assert/strict';
import { test } from 'node:test';

import { frameMessage, liveUrl } from '../src/live.js';

test('a frame message is the capture time as 8 little-endian bytes, then the picture', () => {
  const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]).buffer;
  const message = frameMessage(1733390000123.4, jpeg);
  assert.equal(message.length, 12);
  assert.equal(new DataView(message.buffer).getBigUint64(0, true), 1733390000123n);
  assert.deepEqual([...message.slice(8)], [0xff, 0xd8, 0xff, 0xd9]);
});

test('the live socket follows the page origin and carries the token', () => {
  assert.equal(liveUrl('http://127.0.0.1:8080', 'squat', 'abc'), 'ws://127.0.0.1:8080/live?activity=squat&token=abc');
  assert.equal(liveUrl('https://fit.example', 'push_up', 't+1'), 'wss://fit.example/live?activity=push_up&token=t%2B1');
  assert.equal(liveUrl('http://h', 'squat', 'a', true), 'ws://h/live?activity=squat&token=a&record=true');
});
