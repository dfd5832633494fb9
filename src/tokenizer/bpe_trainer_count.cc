// tokenizer/bpe_trainer_count.cc — step 1 of bpe_trainer.h: counting the
// pre-tokenised words of the training text.
//
// Files are read in blocks of whole lines; a block is cut into pieces at line
// boundaries and the pieces are counted on all threads (OpenMP, dynamic
// schedule) into one map per thread, merged at the end. A line is the unit
// of pre-tokenisation (as HF's trainer reads files), so the counts are the
// same for every block size and thread count.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>

#include "core/threads.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/bpe_trainer_progress.h"
#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"

namespace seek {
namespace {

constexpr size_t kPieceBytes = size_t{256} << 10;

class WordCounter {
 public:
  WordCounter(const Regex& regex, const std::vector<std::string>& specials)
      : regex_(regex), specials_(specials) {}

  // Counts the words of the lines in `text` (ending at a line boundary or the
  // end of the input) into `counts`.
  Status CountLines(std::string_view text, WordCounts* counts, WordCountStats* stats) const {
    while (!text.empty()) {
      const size_t nl = text.find('\n');
      const size_t len = nl == std::string_view::npos ? text.size() : nl + 1;
      RETURN_IF_ERROR(CountLine(text.substr(0, len), counts, stats));
      ++stats->lines;
      text.remove_prefix(len);
    }
    return Status::Ok();
  }

 private:
  Status CountLine(std::string_view line, WordCounts* counts, WordCountStats* stats) const {
    std::string repaired;
    if (!IsValidUtf8(line)) {
      repaired = RepairUtf8(line);
      line = repaired;
    }
    // Special tokens are cut out leftmost, then longest first, as the encoder does.
    size_t start = 0;
    while (start < line.size()) {
      size_t best = std::string_view::npos, best_len = 0;
      for (const std::string& s : specials_) {
        const size_t p = line.find(s, start);
        if (p < best || (p == best && p != std::string_view::npos && s.size() > best_len)) {
          best = p;
          best_len = s.size();
        }
      }
      const size_t end = best == std::string_view::npos ? line.size() : best;
      if (end > start) RETURN_IF_ERROR(CountSection(line.substr(start, end - start), counts));
      if (best == std::string_view::npos) break;
      ++stats->special_tokens;
      start = best + best_len;
    }
    return Status::Ok();
  }

  // Split "Isolated": the matches and the text between them are words.
  Status CountSection(std::string_view section, WordCounts* counts) const {
    ASSIGN_OR_RETURN(auto matches, regex_.FindAll(section));
    size_t prev = 0;
    for (const auto& [b, e] : matches) {
      if (b > prev) Add(section.substr(prev, b - prev), counts);
      Add(section.substr(b, e - b), counts);
      prev = e;
    }
    if (prev < section.size()) Add(section.substr(prev), counts);
    return Status::Ok();
  }

  static void Add(std::string_view word, WordCounts* counts) {
    const auto it = counts->find(word);
    if (it != counts->end())
      ++it->second;
    else
      counts->emplace(std::string(word), 1);
  }

  const Regex& regex_;
  const std::vector<std::string>& specials_;
};

// Counts one block of whole lines on all threads into the per-thread maps.
Status CountBlock(std::string_view block, const WordCounter& counter, std::vector<WordCounts>* maps,
                  std::vector<WordCountStats>* stats, std::atomic<int64_t>* bytes_done,
                  const std::function<void()>& report) {
  std::vector<std::string_view> pieces;
  for (size_t start = 0; start < block.size();) {
    size_t end = std::min(block.size(), start + kPieceBytes);
    if (end < block.size()) {
      const size_t nl = block.find('\n', end - 1);
      end = nl == std::string_view::npos ? block.size() : nl + 1;
    }
    pieces.push_back(block.substr(start, end - start));
    start = end;
  }
  if (pieces.size() == 1) {  // a small block: no thread fork
    RETURN_IF_ERROR(counter.CountLines(pieces[0], &(*maps)[0], &(*stats)[0]));
    bytes_done->fetch_add(static_cast<int64_t>(pieces[0].size()));
    report();
    return Status::Ok();
  }
  std::vector<Status> status(pieces.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(static_cast <int>(maps->size()))
  for (size_t i = 0; i < pieces.size(); ++i) {
    const int t = omp_get_thread_num();
    status[i] = counter.CountLines(pieces[i], &(*maps)[t], &(*stats)[t]);
    bytes_done->fetch_add(static_cast<int64_t>(pieces[i].size()));
    if (t == 0) report();
  }
  for (const Status& s : status) RETURN_IF_ERROR(s);
  return Status::Ok();
}

// Reads `path` in blocks that end at a line boundary and counts each.
Status CountFile(const std::string& path, size_t block_bytes,
                 const std::function<Status(std::string_view)>& count_block) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return IoError("--input {}: cannot open: {}", path, std::strerror(errno));
  std::string buf;
  size_t filled = 0;
  bool eof = false;
  while (!eof) {
    if (buf.size() < filled + block_bytes) buf.resize(filled + block_bytes);
    const size_t got = std::fread(buf.data() + filled, 1, buf.size() - filled, f.get());
    if (got == 0 && std::ferror(f.get()))
      return IoError("--input {}: read failed: {}", path, std::strerror(errno));
    filled += got;
    eof = got == 0 || std::feof(f.get());
    const std::string_view data(buf.data(), filled);
    size_t cut = filled;
    if (!eof) {
      const size_t nl = data.rfind('\n');
      if (nl == std::string_view::npos) continue;  // one long line: read more
      cut = nl + 1;
    }
    RETURN_IF_ERROR(count_block(data.substr(0, cut)));
    std::memmove(buf.data(), buf.data() + cut, filled - cut);
    filled -= cut;
  }
  return Status::Ok();
}

int ThreadsFor(const BpeTrainerOptions& o) {
  return o.threads > 0 ? o.threads : NumThreads();
}

// Merges the per-thread maps into the first one (moving the nodes).
WordCounts MergeMaps(std::vector<WordCounts>* maps) {
  std::sort(maps->begin(), maps->end(),
            [](const WordCounts& a, const WordCounts& b) { return a.size() > b.size(); });
  WordCounts out = std::move((*maps)[0]);
  for (size_t t = 1; t < maps->size(); ++t) {
    WordCounts& m = (*maps)[t];
    while (!m.empty()) {
      auto node = m.extract(m.begin());
      const auto it = out.find(node.key());
      if (it != out.end())
        it->second += node.mapped();
      else
        out.insert(std::move(node));
    }
  }
  return out;
}

StatusOr<WordCounts> Count(const BpeTrainerOptions& options, const std::string_view* text,
                           WordCountStats* stats_out) {
  RETURN_IF_ERROR(ValidateBpeTrainerOptions(options));
  ASSIGN_OR_RETURN(std::unique_ptr<Regex> regex, Regex::Compile(options.split_regex, "--regex"));
  int64_t total = 0;
  if (text != nullptr) {
    total = static_cast<int64_t>(text->size());
  } else {
    for (const std::string& path : options.inputs) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(path, ec))
        return NotFoundError("--input {}: no such file (need UTF-8 text files)", path);
      total += static_cast<int64_t>(std::filesystem::file_size(path, ec));
    }
  }
  const int threads = ThreadsFor(options);
  const WordCounter counter(*regex, options.special_tokens);
  std::vector<WordCounts> maps(threads);
  std::vector<WordCountStats> stats(threads);
  std::atomic<int64_t> bytes_done{0};
  bpe_internal::ProgressLine progress(options.progress, "bpe counting", 1e6, "MB");
  const auto report = [&] { progress.Update(bytes_done.load(), total); };
  const auto count_block = [&](std::string_view block) {
    return CountBlock(block, counter, &maps, &stats, &bytes_done, report);
  };
  if (text != nullptr) {
    RETURN_IF_ERROR(count_block(*text));
  } else {
    for (const std::string& path : options.inputs)
      RETURN_IF_ERROR(CountFile(path, static_cast<size_t>(options.read_block_bytes), count_block));
  }
  progress.Finish(bytes_done.load(), total);
  if (stats_out != nullptr) {
    *stats_out = WordCountStats();
    stats_out->bytes = bytes_done.load();
    for (const WordCountStats& s : stats) {
      stats_out->lines += s.lines;
      stats_out->special_tokens += s.special_tokens;
    }
  }
  return MergeMaps(&maps);
}

}  // namespace

StatusOr<WordCounts> CountWords(const BpeTrainerOptions& options, WordCountStats* stats) {
  if (options.inputs.empty())
    return InvalidArgumentError("--input: no input files given (need UTF-8 text files)");
  return Count(options, nullptr, stats);
}

StatusOr<WordCounts> CountWordsInText(std::string_view text, const BpeTrainerOptions& options,
                                      WordCountStats* stats) {
  return Count(options, &text, stats);
}

}  // namespace seek
