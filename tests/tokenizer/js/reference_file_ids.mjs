// Writes the reference token ids, and the reference decoding of those ids,
// for any tokenizer.json, as transformers.js (@lenml/tokenizers) computes them.
//
//   node reference_file_ids.mjs <tokenizer.json | dir> <corpus.txt> <out.jsonl>
//
// A directory (e.g. one written by `seek tokenizer train`) supplies its
// tokenizer.json and, if present, its tokenizer_config.json.
// corpus.txt holds one text per line as a JSON string. Writes, one line per text:
//   out.jsonl          ids, add_special_tokens = false
//   out.jsonl.special  ids, add_special_tokens = true
//   out.jsonl.decoded  decode(ids) as a JSON string (no clean-up of spaces)
//   out.jsonl.skip     decode(ids with special tokens, skip_special_tokens = true)
import fs from "node:fs";
import path from "node:path";

let TokenizerLoader;
try {
  ({ TokenizerLoader } = await import("@lenml/tokenizers"));
} catch (e) {
  console.error(`reference_file_ids: cannot load @lenml/tokenizers (run npm ci in tests/tokenizer/js): ${e.message}`);
  process.exit(2);
}

const [jsonPath, corpusPath, outPath] = process.argv.slice(2);
if (!jsonPath || !corpusPath || !outPath) {
  console.error("usage: node reference_file_ids.mjs <tokenizer.json> <corpus.txt> <out.jsonl>");
  process.exit(1);
}
const isDir = fs.statSync(jsonPath).isDirectory();
const readJson = (p) => JSON.parse(fs.readFileSync(p, "utf8"));
const tokenizerJSON = readJson(isDir ? path.join(jsonPath, "tokenizer.json") : jsonPath);
const configPath = path.join(isDir ? jsonPath : path.dirname(jsonPath), "tokenizer_config.json");
const tokenizerConfig = isDir && fs.existsSync(configPath) ? readJson(configPath) : {};
const tokenizer = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig });
const lines = fs.readFileSync(corpusPath, "utf8").split("\n").filter((l) => l.length > 0);
const plain = [], special = [], decoded = [], skipped = [];
const opts = { clean_up_tokenization_spaces: false };
// decode() rejects an empty array; its text is "".
const decode = (ids, o) => (ids.length === 0 ? "" : tokenizer.decode(ids, o));
for (const line of lines) {
  const text = JSON.parse(line);
  const ids = tokenizer.encode(text, { add_special_tokens: false });
  const idsSpecial = tokenizer.encode(text, { add_special_tokens: true });
  plain.push(JSON.stringify(ids));
  special.push(JSON.stringify(idsSpecial));
  decoded.push(JSON.stringify(decode(ids, { ...opts, skip_special_tokens: false })));
  skipped.push(JSON.stringify(decode(idsSpecial, { ...opts, skip_special_tokens: true })));
}
const write = (path, rows) => {
  fs.writeFileSync(path + ".tmp", rows.join("\n") + "\n");
  fs.renameSync(path + ".tmp", path);
};
write(outPath + ".special", special);
write(outPath + ".decoded", decoded);
write(outPath + ".skip", skipped);
write(outPath, plain);
console.log(`reference_file_ids: ${jsonPath}: ${lines.length} texts -> ${outPath}`);
