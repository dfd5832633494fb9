// data/readers.h — the pipeline's inputs: files or folders of one source
// turned into Documents with stable ids.
//
// Formats:
//   text   one document per file, or per record when `separator` is set: a
//          line equal to the separator ends a record ("%" for fortune
//          files); separator "" with `split_blank_lines` splits on blank lines
//   jsonl  one JSON object per line; the document is its `text_field`
//          (default "text"); `id_field` (optional) names the id
//   documents  `seek data run`'s documents.jsonl: each line's id, source and
//          language are kept as written (the input's `source` is unused), so
//          stages run one at a time chain
// Any file ending in .zst is decompressed first (libzstd); other files are
// read as they are (leave binary ones out with `exclude`).
//
// A folder is read recursively in byte order of the relative paths, so ids
// and order are the same on every machine and run. A document's id is
// "<source>/<relative path>" plus "#<record>" (0-based) when a file holds
// several. Empty records are skipped and counted.
//
// Bad input: an unreadable file, a truncated .zst, a JSON line that is not an
// object or lacks the text field — counted per reason in ReadStats and
// skipped, or the first one returned as a Status when `strict` is set.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "data/document.h"

namespace seek {

struct InputConfig {
  std::string source;        // name carried by every document ("books")
  std::string path;          // a file or a folder
  std::string format = "text";  // "text" | "jsonl" | "documents"
  std::string separator;     // text: a line equal to it ends a record
  bool split_blank_lines = false;
  std::string text_field = "text", id_field;  // jsonl
  std::vector<std::string> exclude;  // file name suffixes to skip (".dat", ".gz")
  bool strict = false;       // first bad record is an error instead of a counted skip

  // From a pipeline file's input object; unknown keys are errors naming them.
  static StatusOr<InputConfig> FromJson(const nlohmann::json& j, const std::string& where);
};

struct ReadStats {
  int64_t files = 0, documents = 0, bytes = 0;
  std::map<std::string, int64_t> skipped;  // reason -> count ("empty", "bad_json", "unreadable", ...)
};

// The files of an input in reading order (a file alone, or a folder's files recursively).
StatusOr<std::vector<std::string>> ListInputFiles(const InputConfig& in);

// Reads one file of an input; calls `emit` for each document in order.
Status ReadInputFile(const InputConfig& in, const std::string& file, ReadStats* stats,
                     const std::function<void(Document&&)>& emit);

// As ReadInputFile, for a consumer that can fail: the first error `consume`
// returns stops the reading and is returned.
Status ReadInputFileWith(const InputConfig& in, const std::string& file, ReadStats* stats,
                         const std::function<Status(Document&&)>& consume);

// Reads a whole input.
Status ReadInput(const InputConfig& in, ReadStats* stats, const std::function<void(Document&&)>& emit);

// Decompresses a .zst file's bytes (every frame); DataLoss naming `name` when corrupt.
StatusOr<std::string> DecompressZstd(std::string_view bytes, const std::string& name);

}  // namespace seek
