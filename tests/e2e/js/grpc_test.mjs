// The gRPC API of `seek serve` driven by gRPC's Node client (@grpc/grpc-js,
// schema loaded at run time by @grpc/proto-loader).
//
//   node tests/e2e/js/grpc_test.mjs HOST:PORT PROTO_PATH
//
// PROTO_PATH is proto/seek/v1/inference.proto. Prints `ok   NAME` or
// `FAIL NAME: why` per check; exits 1 if any failed. Works with any model:
// prompts are tokenized by the server, lengths come from ModelInfo.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const [address, protoPath] = process.argv.slice(2);
if (!address || !protoPath) {
  console.error('usage: node grpc_test.mjs HOST:PORT PROTO_PATH');
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
// longs as Numbers (all counts here are small); enums as names; oneofs (and
// proto3 `optional` presence, a synthetic oneof `_name`) as the set field's name.
const loadOptions = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };
const seek = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath, loadOptions)).seek.v1;
const health = grpc.loadPackageDefinition(
  protoLoader.loadSync(path.join(here, 'health.proto'), loadOptions)).grpc.health.v1;

const creds = grpc.credentials.createInsecure();
const client = new seek.Inference(address, creds);
const healthClient = new health.Health(address, creds);

const deadlineIn = (ms) => ({ deadline: new Date(Date.now() + ms) });

function unary(c, method, request, options = deadlineIn(30000)) {
  return new Promise((resolve, reject) =>
    c[method](request, options, (err, resp) => (err ? reject(err) : resolve(resp))));
}

// Resolves to { messages, error } once the stream ends (error: null or the gRPC error).
function generate(request, options = deadlineIn(60000)) {
  return new Promise((resolve) => {
    const messages = [];
    const call = client.Generate(request, options);
    call.on('data', (m) => messages.push(m));
    call.on('error', (error) => resolve({ messages, error }));
    call.on('end', () => resolve({ messages, error: null }));
  });
}

const tokensOf = (messages, index = 0) =>
  messages.filter((m) => m.index === index && m._token_id === 'token_id').map((m) => m.token_id);
const finalOf = (messages, index = 0) =>
  messages.filter((m) => m.index === index && m.finish_reason !== 'FINISH_REASON_UNSPECIFIED');

function assert(cond, why) {
  if (!cond) throw new Error(why);
}
function sameArray(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

let failures = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: ${e.message}`);
  }
}

let info = null;
let prompt = [];

await check('health', async () => {
  const r = await unary(healthClient, 'Check', { service: '' });
  assert(r.status === 'SERVING', `status ${r.status}`);
});

await check('model_info', async () => {
  info = await unary(client, 'ModelInfo', {});
  assert(info.model_name.length > 0, 'empty model_name');
  assert(info.vocab_size > 0 && info.context_length > 0 && info.num_layers > 0, JSON.stringify(info));
});

await check('tokenize', async () => {
  const text = 'In the beginning';
  const r = await unary(client, 'Tokenize', { text, add_special_tokens: false });
  assert(r.token_ids.length > 0, 'no ids');
  assert(r.token_ids.every((id) => id >= 0 && id < info.vocab_size), `ids ${r.token_ids}`);
  const back = await unary(client, 'Detokenize', { token_ids: r.token_ids });
  assert(back.text === text, `detokenized to ${JSON.stringify(back.text)}`);
  prompt = r.token_ids;
});

const maxTokens = 8;
const base = () => ({ token_ids: { ids: prompt }, max_tokens: maxTokens, ignore_eos: true });

await check('generate_greedy', async () => {
  const a = await generate({ ...base(), temperature: 0 });
  assert(!a.error, a.error?.message);
  const tokens = tokensOf(a.messages);
  assert(tokens.length === maxTokens, `${tokens.length} tokens`);
  const last = a.messages[a.messages.length - 1];
  assert(last.finish_reason === 'FINISH_REASON_LENGTH', last.finish_reason);
  assert(last.usage.completion_tokens === maxTokens, JSON.stringify(last.usage));
  assert(last.usage.prompt_tokens === prompt.length, JSON.stringify(last.usage));
  // The same prompt as text gives the same greedy tokens.
  const b = await generate({ text: 'In the beginning', add_special_tokens: false, max_tokens: maxTokens,
                             ignore_eos: true, temperature: 0 });
  assert(!b.error, b.error?.message);
  assert(sameArray(tokensOf(b.messages), tokens), `${tokensOf(b.messages)} vs ${tokens}`);
});

await check('generate_seeded', async () => {
  const req = { ...base(), temperature: 1, seed: 1234, logprobs: 2 };
  const a = await generate(req);
  const b = await generate(req);
  assert(!a.error && !b.error, (a.error ?? b.error)?.message);
  assert(sameArray(tokensOf(a.messages), tokensOf(b.messages)), 'seeded calls differ');
  const first = a.messages[0];
  assert(first.logprobs && first.logprobs.top.length === 2, JSON.stringify(first.logprobs));
});

await check('generate_n2', async () => {
  const r = await generate({ ...base(), temperature: 1, seed: 99, n: 2 });
  assert(!r.error, r.error?.message);
  for (const i of [0, 1]) {
    assert(tokensOf(r.messages, i).length === maxTokens, `choice ${i}: ${tokensOf(r.messages, i).length} tokens`);
    assert(finalOf(r.messages, i).length === 1, `choice ${i}: ${finalOf(r.messages, i).length} final messages`);
  }
});

await check('invalid_argument', async () => {
  const r = await generate({ ...base(), temperature: -1 });
  assert(r.error, 'no error');
  assert(r.error.code === grpc.status.INVALID_ARGUMENT, `code ${r.error.code}`);
  assert(r.error.details.includes('temperature'), r.error.details);
});

await check('deadline_exceeded', async () => {
  // As many tokens as the context holds, for as many choices as allowed, with
  // 50 ms to make them (far more work than that on any model this test uses).
  const r = await generate({ ...base(), n: info.max_n, max_tokens: info.context_length - prompt.length },
                           deadlineIn(50));
  assert(r.error, `no error after ${tokensOf(r.messages).length} tokens`);
  assert(r.error.code === grpc.status.DEADLINE_EXCEEDED, `code ${r.error.code}: ${r.error.details}`);
  // The server stays healthy.
  const after = await generate({ ...base(), temperature: 0 });
  assert(!after.error && tokensOf(after.messages).length === maxTokens, 'a call after the deadline failed');
});

client.close();
healthClient.close();
process.exit(failures ? 1 : 0);
