// `seek shards --input FILE... --out DIR [--tokenizer PATH]`: token shards from text.
#include <cstdio>

#include "cli/commands.h"
#include "data/text_shards.h"

namespace seek::cli {

void AddShardsCommand(CLI::App& app, Action* run) {
  auto o = std::make_shared<TextShardOptions>();
  o->out_dir = "data/shards";
  CLI::App* c = app.add_subcommand(
      "shards", "Write token shards from text files, with a tokenizer.json or the byte vocabulary");
  c->add_option("--input", o->inputs, "UTF-8 text files")->required()->check(CLI::ExistingFile);
  c->add_option("--out", o->out_dir, "output folder for shard_NNNNN.bin (and the tokenizer files)")
      ->capture_default_str();
  c->add_option("--tokenizer", o->tokenizer,
                "Hugging Face tokenizer.json, or a folder with one (and tokenizer_config.json); "
                "default: bytes (256 bytes + end of text)");
  c->add_option("--eot-token", o->eot_token,
                "end-of-text token appended to every document (default: tokenizer_config.json's "
                "eos_token, else <|endoftext|>, <|end_of_text|> or </s>)");
  c->add_option("--threads", o->threads, "encoding threads (0 = all cores)")
      ->check(CLI::Range(0, 4096))->capture_default_str();
  c->add_option("--doc-lines", o->doc_lines,
                "lines per document; 0 = documents are paragraphs separated by blank lines")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  c->add_option("--format", o->format,
                "lines: documents cut by --doc-lines; jsonl: one JSON object per line, its --text-field "
                "(seek data run's documents.jsonl)")
      ->check(CLI::IsMember({"lines", "jsonl"}))
      ->capture_default_str();
  c->add_option("--text-field", o->text_field, "the document's field in --format jsonl")->capture_default_str();
  c->add_option("--shard-tokens", o->shard_tokens, "about this many tokens per shard")
      ->check(CLI::PositiveNumber)->capture_default_str();
  c->callback([o, run] {
    *run = [o] {
      StatusOr<TextShardResult> r = WriteTextShards(*o);
      if (!r.ok()) return Fail("shards", r.status());
      std::printf("wrote %zu shard(s), %lld documents, %lld tokens (vocabulary %lld, end of text %d) "
                  "to %s\n",
                  r->shards.size(), (long long)r->documents, (long long)r->tokens,
                  (long long)r->vocab_size, r->eot_id, o->out_dir.c_str());
      return 0;
    };
  });
}

}  // namespace seek::cli
