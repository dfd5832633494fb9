// `seek serve` through the official OpenAI Node client (and raw fetch where the
// client cannot send what is tested): completions and chat, streamed and not,
// seeds, logprobs against `seek eval --per-token`, greedy against `seek sample`,
// concurrency, cancellation, usage, the vLLM extras and every bad input.
//   node openai_test.mjs BASE_URL MODEL_NAME PATH/TO/seek MODEL_DIR
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { assert, finish as report, get, metric, metrics, post, test, tokenId, waitFor } from './harness.mjs';
import { badInputTests } from './openai_errors.mjs';

const [base, model, seek, modelDir] = process.argv.slice(2);
if (!modelDir) {
  console.error('usage: node openai_test.mjs BASE_URL MODEL_NAME PATH/TO/seek MODEL_DIR');
  process.exit(2);
}
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'none', maxRetries: 0, timeout: 60000 });
const tmp = mkdtempSync(join(tmpdir(), 'seek-openai-'));
const words = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', 'hello', 'there'];
const randomPrompt = (i) => Array.from({ length: 3 + (i % 5) }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(' ');

async function tokenize(body) {
  const r = await post(base, '/tokenize', body);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

// Text, finish reason and usage of one streamed completion.
async function streamCompletion(params) {
  const stream = await client.completions.create({ ...params, stream: true });
  let text = '', finish = null, usage = null;
  for await (const c of stream) {
    assert.equal(c.object, 'text_completion');
    if (c.usage) usage = c.usage;
    for (const ch of c.choices) {
      text += ch.text;
      if (ch.finish_reason) finish = ch.finish_reason;
    }
  }
  return { text, finish, usage };
}

function checkUsage(u, promptTokens, completionTokens) {
  assert.equal(u.prompt_tokens, promptTokens, 'usage.prompt_tokens');
  if (completionTokens !== undefined) assert.equal(u.completion_tokens, completionTokens, 'usage.completion_tokens');
  assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens, 'usage.total_tokens');
  const cached = u.prompt_tokens_details?.cached_tokens;
  assert.ok(Number.isInteger(cached) && cached >= 0 && cached <= u.prompt_tokens,
    `usage.prompt_tokens_details.cached_tokens ${cached} of ${u.prompt_tokens} prompt tokens`);
}

await test('GET /health, /ready, /v1/models', async () => {
  assert.equal((await get(base, '/health')).status, 200);
  assert.equal((await get(base, '/ready')).status, 200);
  const list = await client.models.list();
  const ids = list.data.map((m) => m.id);
  assert.deepEqual(ids, [model]);
  assert.equal(list.data[0].object, 'model');
});

await test('/tokenize and /detokenize round trip', async () => {
  const t = await tokenize({ prompt: 'the quick brown fox', add_special_tokens: false });
  assert.ok(Array.isArray(t.tokens) && t.tokens.length > 0);
  assert.equal(t.count, t.tokens.length);
  assert.equal(t.max_model_len, 2048);
  const d = await post(base, '/detokenize', { tokens: t.tokens });
  assert.equal(d.status, 200, JSON.stringify(d.body));
  assert.equal(d.body.prompt, 'the quick brown fox');
  const chat = await tokenize({ messages: [{ role: 'user', content: 'hello there' }] });
  assert.ok(chat.count > t.count, 'a chat-templated prompt is longer than its text');
});

await test('completion: text, finish reason, usage', async () => {
  const prompt = 'the quick brown';
  const r = await client.completions.create({ model, prompt, max_tokens: 8, temperature: 0 });
  assert.equal(r.object, 'text_completion');
  assert.match(r.id, /\S/);
  assert.ok(Number.isInteger(r.created) && Math.abs(r.created - Date.now() / 1000) < 600, `created ${r.created}`);
  assert.equal(r.model, model);
  assert.equal(r.choices.length, 1);
  const c = r.choices[0];
  assert.equal(c.index, 0);
  assert.equal(typeof c.text, 'string');
  assert.ok(['length', 'stop'].includes(c.finish_reason), c.finish_reason);
  const pt = (await tokenize({ prompt })).count;
  checkUsage(r.usage, pt);
  assert.ok(r.usage.completion_tokens >= 1 && r.usage.completion_tokens <= 8);
  if (c.finish_reason === 'length') assert.equal(r.usage.completion_tokens, 8);
});

await test('chat completion: message, usage against /tokenize {messages}', async () => {
  const messages = [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' },
    { role: 'assistant', content: 'hello' }, { role: 'user', content: 'hello there' }];
  const r = await client.chat.completions.create({ model, messages, max_tokens: 6, temperature: 0 });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, model);
  const c = r.choices[0];
  assert.equal(c.message.role, 'assistant');
  assert.equal(typeof c.message.content, 'string');
  assert.ok(['length', 'stop'].includes(c.finish_reason), c.finish_reason);
  checkUsage(r.usage, (await tokenize({ messages })).count);
  // Content as an array of text parts means the same prompt.
  const parts = messages.map((m) => ({ role: m.role, content: [{ type: 'text', text: m.content }] }));
  const r2 = await client.chat.completions.create({ model, messages: parts, max_tokens: 6, temperature: 0 });
  assert.equal(r2.choices[0].message.content, c.message.content);
  assert.equal(r2.usage.prompt_tokens, r.usage.prompt_tokens);
});

await test('completion: streamed text equals non-streamed (temperature 1, seed 42), include_usage', async () => {
  const p = { model, prompt: 'hello there', max_tokens: 24, temperature: 1, seed: 42 };
  const whole = await client.completions.create(p);
  const s = await streamCompletion({ ...p, stream_options: { include_usage: true } });
  assert.equal(s.text, whole.choices[0].text);
  assert.equal(s.finish, whole.choices[0].finish_reason);
  assert.ok(s.usage, 'a last chunk with usage');
  assert.deepEqual({ ...s.usage, prompt_tokens_details: undefined }, { ...whole.usage, prompt_tokens_details: undefined });
});

await test('streamed text equals non-streamed at temperature 4 (random bytes, split UTF-8)', async () => {
  for (const seed of [1, 2, 3]) {
    const p = { model, prompt: 'the', max_tokens: 64, temperature: 4, seed, ignore_eos: true };
    const whole = await client.completions.create(p);
    const s = await streamCompletion(p);
    assert.equal(s.text, whole.choices[0].text, `seed ${seed}`);
  }
});

await test('chat: streamed content equals non-streamed (temperature 1, seed 7), include_usage', async () => {
  const p = { model, messages: [{ role: 'user', content: 'the lazy dog' }], max_tokens: 20, temperature: 1, seed: 7 };
  const whole = await client.chat.completions.create(p);
  const stream = await client.chat.completions.create({ ...p, stream: true, stream_options: { include_usage: true } });
  let text = '', role = null, finish = null, usage = null, last = null;
  for await (const c of stream) {
    assert.equal(c.object, 'chat.completion.chunk');
    last = c;
    if (c.usage) usage = c.usage;
    for (const ch of c.choices) {
      if (ch.delta.role) role = ch.delta.role;
      text += ch.delta.content ?? '';
      if (ch.finish_reason) finish = ch.finish_reason;
    }
  }
  assert.equal(role, 'assistant');
  assert.equal(text, whole.choices[0].message.content);
  assert.equal(finish, whole.choices[0].finish_reason);
  assert.equal(last.choices.length, 0, 'the usage chunk has empty choices');
  assert.equal(usage.completion_tokens, whole.usage.completion_tokens);
  assert.equal(usage.prompt_tokens, whole.usage.prompt_tokens);
});

await test('SSE wire format: data: lines, ends with data: [DONE]', async () => {
  const res = await fetch(`${base}/v1/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, prompt: 'the', max_tokens: 3, stream: true }),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/event-stream/);
  const events = (await res.text()).split('\n\n').filter((e) => e.length);
  assert.ok(events.every((e) => e.startsWith('data: ')), 'every event is a data: line');
  assert.equal(events.at(-1), 'data: [DONE]');
  for (const e of events.slice(0, -1)) JSON.parse(e.slice(6));
});

await test('logprobs equal -loss of `seek eval --per-token` (1e-4)', async () => {
  const prompt = (await tokenize({ prompt: 'jumps over the lazy', add_special_tokens: false })).tokens;
  const r = await client.completions.create({
    model, prompt, max_tokens: 12, temperature: 1, seed: 3, logprobs: 2, ignore_eos: true,
    return_tokens_as_token_ids: true,
  });
  const lp = r.choices[0].logprobs;
  assert.equal(lp.tokens.length, 12);
  assert.equal(lp.token_logprobs.length, 12);
  assert.equal(lp.top_logprobs.length, 12);
  assert.equal(lp.text_offset.length, 12);
  const ids = lp.tokens.map(tokenId);
  for (let i = 0; i < 12; ++i) {
    const top = Object.entries(lp.top_logprobs[i]);
    assert.ok(top.length >= 2 && top.length <= 3, `top_logprobs[${i}] has ${top.length} entries`);
    assert.ok(Math.max(...top.map(([, v]) => v)) >= lp.token_logprobs[i] - 1e-6, 'the best top logprob >= the chosen');
  }
  for (let i = 1; i < 12; ++i) assert.ok(lp.text_offset[i] >= lp.text_offset[i - 1]);
  const file = join(tmp, 'ids.txt');
  writeFileSync(file, JSON.stringify([...prompt, ...ids]) + '\n');
  const out = execFileSync(seek, ['eval', '--model', modelDir, '--data', file, '--per-token'], { encoding: 'utf8' });
  const losses = JSON.parse(out.split('\n')[0]);
  assert.equal(losses.length, prompt.length + 12 - 1);
  for (let i = 0; i < 12; ++i) {
    const want = -losses[prompt.length - 1 + i];
    assert.ok(Math.abs(lp.token_logprobs[i] - want) < 1e-4, `token ${i}: server ${lp.token_logprobs[i]}, eval ${want}`);
  }
});

await test('chat logprobs: content[] with token, logprob, bytes, top_logprobs', async () => {
  const r = await client.chat.completions.create({
    model, messages: [{ role: 'user', content: 'hello' }], max_tokens: 5, temperature: 0,
    logprobs: true, top_logprobs: 3,
  });
  const content = r.choices[0].logprobs.content;
  assert.equal(content.length, r.usage.completion_tokens);
  for (const t of content) {
    assert.equal(typeof t.token, 'string');
    assert.ok(t.logprob <= 0);
    assert.ok(Array.isArray(t.bytes));
    assert.equal(t.top_logprobs.length, 3);
    assert.ok(t.top_logprobs[0].logprob >= t.logprob - 1e-6);
  }
  // Greedy: the chosen token is the best one.
  for (const t of content) assert.ok(Math.abs(t.top_logprobs[0].logprob - t.logprob) < 1e-6);
});

await test('greedy through the server equals `seek sample --temperature 0` token for token', async () => {
  const prompt = (await tokenize({ prompt: 'line 12: the quick', add_special_tokens: false })).tokens;
  const r = await client.completions.create({
    model, prompt, max_tokens: 30, temperature: 0, logprobs: 0, return_tokens_as_token_ids: true,
  });
  const got = r.choices[0].logprobs.tokens.map(tokenId);
  const out = execFileSync(seek, ['sample', '--model', modelDir, '--prompt-ids', prompt.join(' '), '--tokens', '30',
    '--temperature', '0'], { encoding: 'utf8' });
  const want = out.trim().split(/\s+/).map(Number);
  // `seek sample` stops after the end-of-text token and prints it; the server may leave it out.
  if (r.choices[0].finish_reason === 'length') assert.deepEqual(got, want);
  else assert.ok(JSON.stringify(got) === JSON.stringify(want) || JSON.stringify(got) === JSON.stringify(want.slice(0, -1)),
    `server ${got} vs sample ${want}`);
});

await test('n=2: two choices; choice 0 equals the same seed alone; usage sums, cached prompt once', async () => {
  // A prompt of 2+ KV blocks, seen before: its cached tokens count once, not per choice.
  const prompt = 'the quick brown fox jumps over the lazy dog and the quick brown fox jumps over the lazy dog';
  const p = { model, prompt, max_tokens: 10, temperature: 1, seed: 11, ignore_eos: true };
  const one = await client.completions.create(p);
  const two = await client.completions.create({ ...p, n: 2 });
  assert.deepEqual(two.choices.map((c) => c.index).sort(), [0, 1]);
  assert.equal(two.choices.find((c) => c.index === 0).text, one.choices[0].text);
  checkUsage(two.usage, one.usage.prompt_tokens, 20);
});

await test('prompt as a list ([str, str] and [[int], [int]]): one choice per prompt, as if alone', async () => {
  const texts = ['the quick', 'hello there'];
  const p = { model, max_tokens: 6, temperature: 0, ignore_eos: true };
  const alone = await Promise.all(texts.map((prompt) => client.completions.create({ ...p, prompt })));
  const both = await client.completions.create({ ...p, prompt: texts });
  assert.equal(both.choices.length, 2);
  for (const i of [0, 1]) assert.equal(both.choices.find((c) => c.index === i).text, alone[i].choices[0].text);
  checkUsage(both.usage, alone[0].usage.prompt_tokens + alone[1].usage.prompt_tokens, 12);
  const ids = await Promise.all(texts.map(async (t) => (await tokenize({ prompt: t })).tokens));
  const byIds = await client.completions.create({ ...p, prompt: ids });
  for (const i of [0, 1]) assert.equal(byIds.choices.find((c) => c.index === i).text, alone[i].choices[0].text);
});

await test('16 concurrent requests: each finishes with its own length and count', async () => {
  const before = await metrics(base);
  const reqs = Array.from({ length: 16 }, (_, i) => ({
    model, prompt: randomPrompt(i), max_tokens: 5 + i, temperature: 1, seed: 100 + i, ignore_eos: true,
  }));
  const rs = await Promise.all(reqs.map((p, i) => (i % 2 ? streamCompletion({ ...p, stream_options: { include_usage: true } })
    : client.completions.create(p))));
  let total = 0;
  rs.forEach((r, i) => {
    const usage = r.usage, fin = r.finish ?? r.choices[0].finish_reason;
    assert.equal(fin, 'length', `request ${i}`);
    assert.equal(usage.completion_tokens, 5 + i, `request ${i}`);
    total += 5 + i;
  });
  const delta = (m, name, labels) => metric(m, name, labels) - metric(before, name, labels);
  const after = await waitFor(async () => {
    const m = await metrics(base);
    return delta(m, 'seek_request_success_total', { finished_reason: 'length' }) >= 16 ? m : null;
  }, 1000) ?? (await metrics(base));
  assert.equal(delta(after, 'seek_generation_tokens_total'), total, 'seek_generation_tokens_total');
  assert.equal(delta(after, 'seek_request_success_total', { finished_reason: 'length' }), 16);
}, 60000);

await test('a fixed-seed request gives the same output alone and in a busy batch of 15', async () => {
  const p = { model, prompt: 'over the lazy', max_tokens: 24, temperature: 1, seed: 1234, ignore_eos: true,
    logprobs: 0, return_tokens_as_token_ids: true };
  const alone = await client.completions.create(p);
  const noise = Array.from({ length: 15 }, (_, i) => client.completions.create({
    model, prompt: randomPrompt(i + 50), max_tokens: 10 + 2 * i, temperature: 0.9, ignore_eos: true,
  }));
  const busy = client.completions.create(p);
  const [b] = await Promise.all([busy, ...noise]);
  assert.deepEqual(b.choices[0].logprobs.tokens, alone.choices[0].logprobs.tokens);
  assert.equal(b.choices[0].text, alone.choices[0].text);
}, 60000);

await test('a cancelled stream frees its KV blocks (seek_kv_cache_blocks_used) within 2 s', async () => {
  const before = await metrics(base);
  const used0 = metric(before, 'seek_kv_cache_blocks_used');
  const cancelled0 = metric(before, 'seek_request_success_total', { finished_reason: 'cancelled' });
  const stream = await client.completions.create({
    model, prompt: 'the quick brown fox', max_tokens: 2000, temperature: 1, ignore_eos: true, stream: true,
  });
  const it = stream[Symbol.asyncIterator]();  // (a `break` out of for-await would abort at once)
  for (let i = 0; i < 3; ++i) assert.equal((await it.next()).done, false);
  const during = await metrics(base);
  assert.ok(metric(during, 'seek_kv_cache_blocks_used') > used0, 'blocks in use while streaming');
  assert.equal(metric(during, 'seek_num_requests_running'), 1);
  stream.controller.abort();
  const freed = await waitFor(async () => {
    const m = await metrics(base);
    return metric(m, 'seek_kv_cache_blocks_used') <= used0 && metric(m, 'seek_num_requests_running') === 0 &&
      metric(m, 'seek_request_success_total', { finished_reason: 'cancelled' }) === cancelled0 + 1 ? m : null;
  }, 2000);
  const m = freed ?? (await metrics(base));
  assert.ok(freed, `after 2 s: blocks used ${metric(m, 'seek_kv_cache_blocks_used')} (was ${used0}), running ` +
    `${metric(m, 'seek_num_requests_running')}, cancelled ${metric(m, 'seek_request_success_total', { finished_reason: 'cancelled' })} (was ${cancelled0})`);
});

await test('a client that hangs up on a non-streamed n=16 request cancels all 16', async () => {
  const before = await metrics(base);
  const cancelled0 = metric(before, 'seek_request_success_total', { finished_reason: 'cancelled' });
  const ac = new AbortController();
  const req = fetch(`${base}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, prompt: 'the', max_tokens: 2000, n: 16, ignore_eos: true }), signal: ac.signal })
    .then((r) => r.text()).then(() => 'answered', () => 'aborted');
  const running = await waitFor(async () => metric(await metrics(base), 'seek_num_requests_running') === 16, 2000);
  assert.ok(running, '16 sequences running');
  ac.abort();
  assert.equal(await req, 'aborted');
  const done = await waitFor(async () => {
    const m = await metrics(base);
    return metric(m, 'seek_num_requests_running') === 0 &&
      metric(m, 'seek_request_success_total', { finished_reason: 'cancelled' }) === cancelled0 + 16;
  }, 2000);
  const m = await metrics(base);
  assert.ok(done, `running ${metric(m, 'seek_num_requests_running')}, cancelled ` +
    `${metric(m, 'seek_request_success_total', { finished_reason: 'cancelled' }) - cancelled0} of 16`);
  assert.equal(metric(m, 'seek_kv_cache_blocks_used'), metric(before, 'seek_kv_cache_blocks_used'));
});

await test('stop strings end the text before the stop; stop_token_ids and max_tokens 1', async () => {
  const p = { model, prompt: 'line 3:', max_tokens: 30, temperature: 0, ignore_eos: true };
  const free = await client.completions.create({ ...p, logprobs: 0, return_tokens_as_token_ids: true });
  const text = free.choices[0].text, ids = free.choices[0].logprobs.tokens.map(tokenId);
  assert.ok(text.length >= 4, `greedy text ${JSON.stringify(text)}`);
  const stop = text.slice(2, 4);
  const r = await client.completions.create({ ...p, stop: ['never-there', stop] });
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.equal(r.choices[0].text, text.slice(0, text.indexOf(stop)));
  const k = ids.indexOf(ids[5]);  // the first position of the 6th token
  const st = await client.completions.create({ ...p, stop_token_ids: [ids[5]] });
  assert.equal(st.choices[0].finish_reason, 'stop');
  assert.ok([k, k + 1].includes(st.usage.completion_tokens), `stopped after ${st.usage.completion_tokens} tokens, stop id first at ${k}`);
  assert.ok(text.startsWith(st.choices[0].text));
  const one = await client.completions.create({ ...p, max_tokens: 1 });
  assert.equal(one.usage.completion_tokens, 1);
  assert.equal(one.choices[0].finish_reason, 'length');
});

await test('echo, logit_bias, top_k 1 (= greedy), seeds that differ', async () => {
  const p = { model, prompt: 'the quick', max_tokens: 8, ignore_eos: true };
  const e = await client.completions.create({ ...p, temperature: 0, echo: true });
  const g = await client.completions.create({ ...p, temperature: 0 });
  assert.equal(e.choices[0].text, 'the quick' + g.choices[0].text);
  const k1 = await client.completions.create({ ...p, temperature: 1, top_k: 1, seed: 9 });
  assert.equal(k1.choices[0].text, g.choices[0].text);
  const b = await client.completions.create({ ...p, temperature: 1, logit_bias: { 300: 100 }, logprobs: 0,
    return_tokens_as_token_ids: true });
  assert.deepEqual(b.choices[0].logprobs.tokens.map(tokenId), Array(8).fill(300));
  const outs = new Set();
  for (const seed of [1, 2, 3, 4]) outs.add((await client.completions.create({ ...p, max_tokens: 16, temperature: 5, seed })).choices[0].text);
  assert.ok(outs.size > 1, 'temperature 5 with four seeds gives more than one text');
});

await test('/metrics exposes every serving metric', async () => {
  const r = await get(base, '/metrics');
  assert.equal(r.status, 200);
  for (const name of ['seek_num_requests_running', 'seek_num_requests_waiting', 'seek_kv_cache_blocks_used',
    'seek_kv_cache_blocks_total', 'seek_prompt_tokens_total', 'seek_generation_tokens_total',
    'seek_request_success_total', 'seek_time_to_first_token_seconds_bucket', 'seek_inter_token_latency_seconds_bucket',
    'seek_e2e_request_latency_seconds_count']) assert.match(r.body, new RegExp(`^${name}[ {]`, 'm'), name);
  const m = parseFloat(/^seek_kv_cache_blocks_total(?:\{[^}]*\})? (\S+)/m.exec(r.body)[1]);
  assert.ok(m > 0, 'KV blocks total > 0');
});

await badInputTests({ base, model, client });

await test('the server is still healthy afterwards', async () => {
  assert.equal((await get(base, '/health')).status, 200);
  assert.equal((await get(base, '/ready')).status, 200);
  const r = await client.completions.create({ model, prompt: 'the', max_tokens: 4, temperature: 0, ignore_eos: true });
  assert.equal(r.usage.completion_tokens, 4);
  const m = await metrics(base);
  assert.equal(metric(m, 'seek_num_requests_running'), 0);
  assert.equal(metric(m, 'seek_num_requests_waiting'), 0);
});

rmSync(tmp, { recursive: true, force: true });
report();
