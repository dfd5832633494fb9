// Writes the reference token ids of a corpus for a tokenizer that Seek
// trained (`seek tokenizer train`), as transformers.js (@lenml/tokenizers)
// computes them from the directory's tokenizer.json and tokenizer_config.json.
//
//   node reference_trained.mjs <dir> <corpus.txt> <out.jsonl>
//
// corpus.txt holds one text per line as a JSON string. out.jsonl gets one
// JSON array of ids per text (add_special_tokens = false), out.jsonl.special
// the same with add_special_tokens = true, and out.jsonl.decoded the
// reference decoding of each plain id array as a JSON string. Exit code 2 if
// the package is missing.
import fs from "node:fs";
import path from "node:path";

const [dir, corpusPath, outPath] = process.argv.slice(2);
if (!dir || !corpusPath || !outPath) {
  console.error("usage: node reference_trained.mjs <tokenizer dir> <corpus.txt> <out.jsonl>");
  process.exit(1);
}
let TokenizerLoader;
try {
  ({ TokenizerLoader } = await import("@lenml/tokenizers"));
} catch (e) {
  console.error(`reference_trained: cannot load @lenml/tokenizers (run npm ci in tests/tokenizer/js): ${e.message}`);
  process.exit(2);
}
const readJson = (name) => JSON.parse(fs.readFileSync(path.join(dir, name), "utf8"));
const tokenizer = TokenizerLoader.fromPreTrained({
  tokenizerJSON: readJson("tokenizer.json"),
  tokenizerConfig: readJson("tokenizer_config.json"),
});
const lines = fs.readFileSync(corpusPath, "utf8").split("\n").filter((l) => l.length > 0);
const plain = [], special = [], decoded = [];
for (const line of lines) {
  const text = JSON.parse(line);
  const ids = tokenizer.encode(text, { add_special_tokens: false });
  plain.push(JSON.stringify(ids));
  special.push(JSON.stringify(tokenizer.encode(text, { add_special_tokens: true })));
  // decode() rejects an empty array (the text was empty).
  decoded.push(JSON.stringify(ids.length > 0 ? tokenizer.decode(ids) : ""));
}
fs.writeFileSync(outPath + ".special", special.join("\n") + "\n");
fs.writeFileSync(outPath + ".decoded", decoded.join("\n") + "\n");
fs.writeFileSync(outPath + ".tmp", plain.join("\n") + "\n");
fs.renameSync(outPath + ".tmp", outPath);
console.log(`reference_trained: ${dir}: ${lines.length} texts -> ${outPath}`);
