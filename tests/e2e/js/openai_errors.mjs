// Bad inputs to `seek serve`: each gets a 400 (an unknown model a 404) with an
// OpenAI error body whose message names the problem, and none of them hurts
// the server. Raw fetch, since the client would refuse to send most of them.
import OpenAI from 'openai';
import { assert, post, test } from './harness.mjs';

function checkError(r, status, pattern, what) {
  assert.equal(r.status, status, `${what}: status ${r.status}, body ${JSON.stringify(r.body).slice(0, 300)}`);
  const e = r.body?.error;
  assert.ok(e && typeof e === 'object', `${what}: no {"error": {...}} body: ${JSON.stringify(r.body).slice(0, 300)}`);
  assert.equal(typeof e.message, 'string');
  assert.ok('param' in e && 'code' in e, `${what}: error has param and code`);
  if (status === 400) assert.equal(e.type, 'invalid_request_error');
  assert.match(e.message, pattern, `${what}: message ${JSON.stringify(e.message)}`);
}

export async function badInputTests({ base, model, client }) {
  const json = { 'content-type': 'application/json' };
  const cmpl = (extra) => post(base, '/v1/completions', { model, prompt: 'the', max_tokens: 4, ...extra });
  const chat = (extra) => post(base, '/v1/chat/completions',
    { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, ...extra });
  const cases = [
    ['invalid JSON', () => post(base, '/v1/completions', '{"model": "x", "prompt": ', json), /JSON/i],
    ['max_tokens "ten"', () => cmpl({ max_tokens: 'ten' }), /max_tokens/],
    ['prompt + max_tokens past the context (2048)', () => cmpl({ max_tokens: 2100 }), /2048/],
    ['temperature -1', () => cmpl({ temperature: -1 }), /temperature/],
    ['top_p 2', () => cmpl({ top_p: 2 }), /top_p/],
    ['n 0', () => cmpl({ n: 0 }), /\bn\b/],
    ['n 1000', () => cmpl({ n: 1000 }), /\bn\b/],
    ['logprobs 50', () => cmpl({ logprobs: 50 }), /logprobs/],
    ['17 stop strings', () => cmpl({ stop: Array.from({ length: 17 }, (_, i) => `s${i}`) }), /stop/],
    ['prompt of the wrong type (a number)', () => cmpl({ prompt: 42 }), /prompt/],
    ['token id outside the vocabulary', () => cmpl({ prompt: [1, 99999] }), /99999|vocab/i],
    ['malformed UTF-8 in the body', () => post(base, '/v1/completions',
      Buffer.concat([Buffer.from(`{"model": "${model}", "prompt": "ab`), Buffer.from([0xff, 0xfe]),
        Buffer.from('", "max_tokens": 2}')]), json), /UTF-8/i],
    ['chat: empty messages', () => chat({ messages: [] }), /messages/],
    ['chat: messages not an array', () => chat({ messages: 'hi' }), /messages/],
    ['chat: unknown role', () => chat({ messages: [{ role: 'wizard', content: 'hi' }] }), /role/],
    ['chat: temperature -1', () => chat({ temperature: -1 }), /temperature/],
    ['chat: top_logprobs 21', () => chat({ logprobs: true, top_logprobs: 21 }), /top_logprobs/],
    ['chat: max_completion_tokens past the context', () => chat({ max_tokens: undefined, max_completion_tokens: 2100 }), /2048/],
  ];
  for (const [name, send, pattern] of cases) await test(`400 on ${name}`, async () => checkError(await send(), 400, pattern, name));

  await test('a body over --max-body-mb (9 MB > 8 MB) is refused with an error body', async () => {
    const big = JSON.stringify({ model, prompt: 'x'.repeat(9 << 20), max_tokens: 1 });
    const r = await post(base, '/v1/completions', big, json);
    // The spec says 400; 413 (Payload Too Large) is the HTTP status meant for it and accepted too.
    checkError({ ...r, status: r.status === 413 ? 400 : r.status }, 400, /body|large|MB|bytes|size/i, 'huge body');
  });

  await test('404 model_not_found on an unknown model, for both endpoints', async () => {
    const r = await post(base, '/v1/completions', { model: 'no-such-model', prompt: 'the', max_tokens: 2 });
    checkError(r, 404, /no-such-model/, 'unknown model');
    assert.equal(r.body.error.code, 'model_not_found');
    const c = await post(base, '/v1/chat/completions', { model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] });
    checkError(c, 404, /no-such-model/, 'unknown model (chat)');
  });

  await test('the OpenAI client sees a 400 as BadRequestError with the message', async () => {
    await assert.rejects(client.completions.create({ model, prompt: 'the', max_tokens: 4, temperature: -1 }),
      (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && /temperature/.test(e.message));
  });
}
