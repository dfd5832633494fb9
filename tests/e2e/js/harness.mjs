// Small helpers for the `seek serve` end-to-end tests: a sequential test
// runner that prints `ok   NAME` / `FAIL NAME`, assertions, raw HTTP calls and
// a Prometheus text parser.
import assert from 'node:assert/strict';

export { assert };

const results = { pass: 0, fail: 0 };

// Runs fn; a throw (assertion or network error) or a timeout fails the test.
export async function test(name, fn, timeoutMs = 30000) {
  let timer;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    console.log(`ok   ${name}`);
    results.pass++;
  } catch (e) {
    console.log(`FAIL ${name}`);
    for (const line of String(e?.stack ?? e).split('\n').slice(0, 8)) console.log(`     | ${line}`);
    results.fail++;
  } finally {
    clearTimeout(timer);
  }
}

export function finish() {
  console.log(`${results.pass} passed, ${results.fail} failed`);
  process.exit(results.fail === 0 ? 0 : 1);
}

// POST a JSON value (or a raw string / Buffer body) and return {status, body (parsed JSON or text)}.
export async function post(base, path, body, headers = { 'content-type': 'application/json' }) {
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const res = await fetch(base + path, { method: 'POST', headers, body: raw });
  return { status: res.status, body: await parseBody(res) };
}

export async function get(base, path) {
  const res = await fetch(base + path);
  return { status: res.status, body: await parseBody(res), type: res.headers.get('content-type') };
}

async function parseBody(res) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// Prometheus text -> Map from 'name' or 'name{labels}' (as written) to a number.
export function parseMetrics(text) {
  const m = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    m.set(line.slice(0, sp).replace(/\s+$/, ''), Number(line.slice(sp + 1)));
  }
  return m;
}

// The value of `name` whose labels include every `key="value"` of `labels` (0 when absent).
export function metric(map, name, labels = {}) {
  for (const [key, v] of map) {
    const brace = key.indexOf('{');
    const n = brace < 0 ? key : key.slice(0, brace);
    if (n !== name) continue;
    if (Object.entries(labels).every(([k, val]) => key.includes(`${k}="${val}"`))) return v;
  }
  return 0;
}

export async function metrics(base) {
  const r = await get(base, '/metrics');
  assert.equal(r.status, 200);
  return parseMetrics(r.body);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn() every 50 ms until it returns truthy or ms pass; returns its last value.
export async function waitFor(fn, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > end) return v;
    await sleep(50);
  }
}

// "token_id:123" -> 123 (return_tokens_as_token_ids).
export function tokenId(s) {
  const m = /^token_id:(\d+)$/.exec(s);
  assert.ok(m, `expected a "token_id:N" token, got ${JSON.stringify(s)}`);
  return Number(m[1]);
}
