// `seek serve` started with options (serve_test.sh): --served-model-name;
// --chat-template FILE.jinja, used for /tokenize and chat; --kv-cache-mb 0.25
// (16 blocks of 16 tokens), too small for the load: concurrent requests get
// preempted and recomputed, yet each fixed-seed request gives exactly what it
// gives alone, and a request that can never fit is refused with a 400.
//   node serve_options_test.mjs BASE_URL MODEL_NAME
import OpenAI from 'openai';
import { assert, finish, metric, metrics, post, test } from './harness.mjs';

const [base, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'none', maxRetries: 0, timeout: 60000 });
const words = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog'];

await test('--served-model-name is the only model', async () => {
  assert.deepEqual((await client.models.list()).data.map((m) => m.id), [model]);
});

await test('--chat-template renders chat prompts (/tokenize and usage agree)', async () => {
  // serve_test.sh's template: "<ROLE>content\n" per message, then "<assistant>".
  const messages = [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello there' }];
  const rendered = '<system>be brief\n<user>hello there\n<assistant>';
  const want = await post(base, '/tokenize', { prompt: rendered, add_special_tokens: false });
  const got = await post(base, '/tokenize', { messages });
  assert.equal(got.status, 200, JSON.stringify(got.body));
  assert.deepEqual(got.body.tokens, want.body.tokens);
  const r = await client.chat.completions.create({ model, messages, max_tokens: 2 });
  assert.equal(r.usage.prompt_tokens, want.body.count);
});

await test('10 requests over a 16-block cache: preempted, yet each equals its run alone', async () => {
  const reqs = Array.from({ length: 10 }, (_, i) => ({
    model, prompt: words.slice(0, 1 + (i % 7)).join(' '), max_tokens: 60 + i, temperature: 1, seed: i, ignore_eos: true,
  }));
  const before = metric(await metrics(base), 'seek_num_preemptions_total');
  const alone = [];
  for (const r of reqs) alone.push((await client.completions.create(r)).choices[0].text);
  const together = await Promise.all(reqs.map((r) => client.completions.create(r)));
  together.forEach((t, i) => {
    assert.equal(t.choices[0].text, alone[i], `request ${i}`);
    assert.equal(t.usage.completion_tokens, 60 + i);
  });
  const m = await metrics(base);
  assert.ok(metric(m, 'seek_num_preemptions_total') > before, 'some sequence was preempted');
  assert.equal(metric(m, 'seek_kv_cache_blocks_total'), 16);
  assert.equal(metric(m, 'seek_kv_cache_blocks_used'), 0);
}, 60000);

await test('a request larger than the whole KV cache gets a 400 that says so', async () => {
  const r = await post(base, '/v1/completions', { model, prompt: 'the', max_tokens: 300 });
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.match(r.body.error.message, /KV cache/);
});

finish();
