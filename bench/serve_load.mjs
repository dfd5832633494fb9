// Load generator for `seek serve` (bench/serve_load.sh): for each concurrency
// N, N closed-loop clients each send ROUNDS streaming /v1/completions requests
// over loopback (a fixed PROMPT_LEN-id prompt, MAX_TOKENS new tokens, greedy,
// ignore_eos). Tokens are timed as their SSE chunks arrive; each token carries
// a logprobs entry, so a chunk holding k tokens is counted as k.
// Prints one JSON line per level and a table on stderr.
//   node serve_load.mjs BASE_URL MODEL [--concurrency 1,4,16] [--prompt-len 32]
//        [--max-tokens 128] [--rounds 3] [--vocab 256] [--warmup 1] [--repeat 1]
//        [--server-pid PID]
// (--warmup: requests before measuring; --repeat: passes over all the levels;
// --server-pid: also the server's CPU seconds per level, from /proc/PID/task/*/schedstat)
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';

const [base, model, ...rest] = process.argv.slice(2);
const opt = { concurrency: '1,4,16', 'prompt-len': '32', 'max-tokens': '128', rounds: '3', vocab: '256',
  warmup: '1', repeat: '1', 'server-pid': '' };
for (let i = 0; i + 1 < rest.length; i += 2) opt[rest[i].replace(/^--/, '')] = rest[i + 1];
const levels = opt.concurrency.split(',').map(Number);
const promptLen = Number(opt['prompt-len']), maxTokens = Number(opt['max-tokens']);
const rounds = Number(opt.rounds), vocab = Number(opt.vocab), repeat = Number(opt.repeat);

const pid = opt['server-pid'];
const serverCpu = () => (pid ? readdirSync(`/proc/${pid}/task`).reduce((a, t) => {
  try {
    return a + Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
  } catch {
    return a;  // a thread that just ended
  }
}, 0) : 0);

let seed = 12345;
const rand = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);

// One streamed request: {ttft, gaps (s between tokens), tokens, decodeTps}.
// node:http with a keep-alive agent and a plain string scan: the client shares
// this machine's cores with the server, so it should cost little per token
// (fetch with web streams and a JSON.parse per event cost ~0.4 ms per token,
// as much as the engine's decode step). Each chunk's token count is the number
// of its logprobs entries ("token_logprobs":[...] holds k numbers).
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
const url = new URL(`${base}/v1/completions`);
function one(prompt) {
  const body = JSON.stringify({ model, prompt, max_tokens: maxTokens, temperature: 0, ignore_eos: true,
    stream: true, logprobs: 0, return_tokens_as_token_ids: true });
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.setEncoding('utf8');
      let buf = '', tokens = 0, first = 0, last = 0, done = false, error = '';
      const gaps = [];
      res.on('data', (text) => {
        if (res.statusCode !== 200) { error += text; return; }
        buf += text;
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const ev = buf.slice(0, end);
          buf = buf.slice(end + 2);
          if (ev === 'data: [DONE]') { done = true; continue; }
          const at = ev.indexOf('"token_logprobs":[');
          if (at < 0) continue;
          const close = ev.indexOf(']', at);
          const list = ev.slice(at + 18, close);
          const k = list.length ? list.split(',').length : 0;
          if (!k) continue;
          const now = performance.now();
          if (!tokens) first = now;
          else for (let j = 0; j < k; ++j) gaps.push((now - last) / k / 1000);
          last = now;
          tokens += k;
        }
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}: ${error}`));
        if (!done) return reject(new Error('stream ended without data: [DONE]'));
        if (tokens !== maxTokens) return reject(new Error(`got ${tokens} tokens, wanted ${maxTokens} (ignore_eos)`));
        resolve({ ttft: (first - t0) / 1000, gaps, tokens, decodeTps: (tokens - 1) / ((last - first) / 1000) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs) => pct(xs, 50);

const prompts = Array.from({ length: 64 }, () => Array.from({ length: promptLen }, () => rand(vocab)));
for (let i = 0; i < Number(opt.warmup); ++i) await one(prompts[0]);  // first allocations, page faults
// Each pass runs every level once; passes are repeated so that every level sees
// the same (shared, drifting) machine. Per level: the median pass's tokens/s,
// latency percentiles over the requests of all passes.
const passes = levels.map(() => []);
for (let rep = 0; rep < repeat; ++rep) {
  for (const [li, n] of levels.entries()) {
    const t0 = performance.now(), cpu0 = serverCpu();
    const per = await Promise.all(Array.from({ length: n }, async (_, c) => {
      const out = [];
      for (let r = 0; r < rounds; ++r) out.push(await one(prompts[(c * rounds + r + rep) % prompts.length]));
      return out;
    }));
    passes[li].push({ wall: (performance.now() - t0) / 1000, cpu: serverCpu() - cpu0, reqs: per.flat() });
  }
}
const results = levels.map((n, li) => {
  const reqs = passes[li].flatMap((p) => p.reqs);
  const tps = passes[li].map((p) => p.reqs.reduce((a, r) => a + r.tokens, 0) / p.wall);
  const ttft = reqs.map((r) => r.ttft), itl = reqs.flatMap((r) => r.gaps);
  const row = {
    concurrency: n, requests: reqs.length, tokens: reqs.reduce((a, r) => a + r.tokens, 0),
    tokens_per_s: median(tps), tokens_per_s_passes: tps,
    ttft_p50_ms: 1000 * median(ttft), ttft_p99_ms: 1000 * pct(ttft, 99),
    itl_p50_ms: 1000 * median(itl), itl_p99_ms: 1000 * pct(itl, 99),
    stream_decode_tps: median(reqs.map((r) => r.decodeTps)),
    server_cpu_s: passes[li].reduce((a, p) => a + p.cpu, 0),
  };
  console.log(JSON.stringify(row));
  return row;
});
const f = (x, d = 1) => x.toFixed(d).padStart(9);
console.error('clients  requests  tokens/s  TTFT p50  TTFT p99  ITL p50  ITL p99  per-stream decode tok/s');
for (const r of results) {
  console.error(`${String(r.concurrency).padStart(7)}  ${String(r.requests).padStart(8)} ${f(r.tokens_per_s)} ` +
    `${f(r.ttft_p50_ms)}ms${f(r.ttft_p99_ms)}ms${f(r.itl_p50_ms, 2)}ms${f(r.itl_p99_ms, 2)}ms ${f(r.stream_decode_tps)}`);
}
