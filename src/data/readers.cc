#include "data/readers.h"

#include <algorithm>
#include <filesystem>

#include <zstd.h>

#include "io/file_util.h"

namespace seek {
namespace {

namespace fs = std::filesystem;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool Blank(std::string_view s) { return s.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos; }

// Relative path for ids: the path below the input's folder, or the file name.
std::string RelativeName(const InputConfig& in, const std::string& file) {
  std::error_code ec;
  if (fs::is_directory(in.path, ec)) return fs::path(file).lexically_relative(in.path).generic_string();
  return fs::path(file).filename().string();
}

// Calls fn(parsed JSON (discarded when invalid), 1-based line number) for
// every non-blank line of a JSONL text, stopping at the first error.
template <typename Fn>
Status ForEachJsonLine(const std::string& text, Fn fn) {
  size_t pos = 0;
  int64_t line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (Blank(line)) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    RETURN_IF_ERROR(fn(j, line_no));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<InputConfig> InputConfig::FromJson(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return InvalidArgumentError("{}: an input must be a JSON object", where);
  InputConfig c;
  for (const auto& [key, v] : j.items()) {
    auto str = [&](std::string* out) -> Status {
      if (!v.is_string()) return InvalidArgumentError("{}: '{}' must be a string", where, key);
      *out = v.get<std::string>();
      return Status::Ok();
    };
    auto flag = [&](bool* out) -> Status {
      if (!v.is_boolean()) return InvalidArgumentError("{}: '{}' must be true or false", where, key);
      *out = v.get<bool>();
      return Status::Ok();
    };
    if (key == "source") RETURN_IF_ERROR(str(&c.source));
    else if (key == "path") RETURN_IF_ERROR(str(&c.path));
    else if (key == "format") RETURN_IF_ERROR(str(&c.format));
    else if (key == "separator") RETURN_IF_ERROR(str(&c.separator));
    else if (key == "split_blank_lines") RETURN_IF_ERROR(flag(&c.split_blank_lines));
    else if (key == "text_field") RETURN_IF_ERROR(str(&c.text_field));
    else if (key == "id_field") RETURN_IF_ERROR(str(&c.id_field));
    else if (key == "strict") RETURN_IF_ERROR(flag(&c.strict));
    else if (key == "exclude") {
      if (!v.is_array()) return InvalidArgumentError("{}: 'exclude' must be a list of file name suffixes", where);
      for (const auto& x : v) {
        if (!x.is_string()) return InvalidArgumentError("{}: 'exclude' must hold strings", where);
        c.exclude.push_back(x.get<std::string>());
      }
    } else {
      return InvalidArgumentError("{}: unknown key '{}' (known: source, path, format, separator, "
                                  "split_blank_lines, text_field, id_field, exclude, strict)", where, key);
    }
  }
  if (c.source.empty()) return InvalidArgumentError("{}: 'source' (a name for this input) is required", where);
  if (c.path.empty()) return InvalidArgumentError("{}: 'path' (a file or folder) is required", where);
  if (c.format != "text" && c.format != "jsonl" && c.format != "documents")
    return InvalidArgumentError("{}: format '{}' is not one of text, jsonl, documents", where, c.format);
  return c;
}

StatusOr<std::vector<std::string>> ListInputFiles(const InputConfig& in) {
  std::error_code ec;
  std::vector<std::string> files;
  auto wanted = [&](const std::string& f) {
    for (const std::string& s : in.exclude)
      if (EndsWith(f, s)) return false;
    return true;
  };
  if (fs::is_regular_file(in.path, ec)) {
    files.push_back(in.path);
  } else if (fs::is_directory(in.path, ec)) {
    for (auto it = fs::recursive_directory_iterator(in.path, fs::directory_options::follow_directory_symlink, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) return IoError("cannot list {}: {}", in.path, ec.message());
      if (it->is_regular_file(ec) && wanted(it->path().string())) files.push_back(it->path().string());
    }
    if (ec) return IoError("cannot list {}: {}", in.path, ec.message());
  } else {
    return NotFoundError("input '{}': {} is neither a file nor a folder", in.source, in.path);
  }
  std::sort(files.begin(), files.end());
  return files;
}

StatusOr<std::string> DecompressZstd(std::string_view bytes, const std::string& name) {
  std::string out;
  ZSTD_DStream* ds = ZSTD_createDStream();
  ZSTD_initDStream(ds);
  ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
  std::string buf(ZSTD_DStreamOutSize(), '\0');
  size_t last = 0;
  while (in.pos < in.size) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    last = ZSTD_decompressStream(ds, &o, &in);
    if (ZSTD_isError(last)) {
      const std::string why = ZSTD_getErrorName(last);
      ZSTD_freeDStream(ds);
      return DataLossError("{} is not valid zstd data: {}", name, why);
    }
    out.append(buf.data(), o.pos);
    if (out.size() > (size_t{16} << 30)) {
      ZSTD_freeDStream(ds);
      return DataLossError("{} decompresses to more than 16 GiB; split it", name);
    }
  }
  ZSTD_freeDStream(ds);
  if (last != 0) return DataLossError("{} is truncated (the last zstd frame is incomplete)", name);
  return out;
}

Status ReadInputFile(const InputConfig& in, const std::string& file, ReadStats* stats,
                     const std::function<void(Document&&)>& emit) {
  return ReadInputFileWith(in, file, stats, [&](Document&& d) {
    emit(std::move(d));
    return Status::Ok();
  });
}

Status ReadInputFileWith(const InputConfig& in, const std::string& file, ReadStats* stats,
                         const std::function<Status(Document&&)>& consume) {
  auto skip = [&](const std::string& reason, const Status& why) -> Status {
    if (in.strict) return why;
    stats->skipped[reason]++;
    return Status::Ok();
  };
  StatusOr<std::string> read = ReadFileToString(file);
  if (!read.ok()) return skip("unreadable", read.status());
  std::string text = std::move(*read);
  if (EndsWith(file, ".zst")) {
    StatusOr<std::string> d = DecompressZstd(text, file);
    if (!d.ok()) return skip("bad_zstd", d.status());
    text = std::move(*d);
  }
  stats->files++;
  const std::string base = in.source + "/" + RelativeName(in, file);
  int64_t record = 0;
  auto add = [&](std::string body, std::string id) -> Status {
    if (Blank(body)) {
      stats->skipped["empty"]++;
      return Status::Ok();
    }
    stats->documents++;
    stats->bytes += static_cast<int64_t>(body.size());
    Document d;
    d.text = std::move(body);
    d.source = in.source;
    d.id = std::move(id);
    return consume(std::move(d));
  };
  if (in.format == "documents") {  // seek data run's documents.jsonl: id, source and language as written
    return ForEachJsonLine(text, [&](nlohmann::json& j, int64_t line_no) -> Status {
      auto str = [&](const char* k) { return j.is_object() && j.contains(k) && j[k].is_string(); };
      if (!str("text") || !str("id") || !str("source") || (j.contains("language") && !str("language")))
        return skip("bad_json", InvalidArgumentError("{} line {}: not a seek document (an object with string text, "
                                                     "id, source and optional language)", file, line_no));
      if (Blank(j["text"].get<std::string>())) {
        stats->skipped["empty"]++;
        return Status::Ok();
      }
      Document d;
      d.text = j["text"].get<std::string>();
      d.id = j["id"].get<std::string>();
      d.source = j["source"].get<std::string>();
      if (str("language")) d.language = j["language"].get<std::string>();
      stats->documents++;
      stats->bytes += static_cast<int64_t>(d.text.size());
      return consume(std::move(d));
    });
  }
  if (in.format == "jsonl") {
    return ForEachJsonLine(text, [&](nlohmann::json& j, int64_t line_no) -> Status {
      if (j.is_discarded() || !j.is_object() || !j.contains(in.text_field) || !j[in.text_field].is_string())
        return skip("bad_json", InvalidArgumentError("{} line {}: not a JSON object with a string '{}'", file,
                                                     line_no, in.text_field));
      std::string id = base + "#" + std::to_string(line_no - 1);
      if (!in.id_field.empty() && j.contains(in.id_field)) {
        const auto& v = j[in.id_field];
        id = in.source + "/" + (v.is_string() ? v.get<std::string>() : v.dump());
      }
      return add(j[in.text_field].get<std::string>(), std::move(id));
    });
  }
  if (in.separator.empty() && !in.split_blank_lines) {
    return add(std::move(text), base);
  }
  std::string cur;
  auto flush = [&]() -> Status {
    Status s =
        Blank(cur) ? Status::Ok() : add(std::move(cur), base + "#" + std::to_string(record++));
    cur.clear();
    return s;
  };
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    const bool last = end == std::string::npos;
    if (last) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    std::string_view bare = line;
    if (!bare.empty() && bare.back() == '\r') bare.remove_suffix(1);
    if ((!in.separator.empty() && bare == in.separator) || (in.split_blank_lines && Blank(bare))) {
      RETURN_IF_ERROR(flush());
      continue;
    }
    cur.append(line);
    if (!last) cur.push_back('\n');
  }
  return flush();
}

Status ReadInput(const InputConfig& in, ReadStats* stats, const std::function<void(Document&&)>& emit) {
  ASSIGN_OR_RETURN(std::vector<std::string> files, ListInputFiles(in));
  for (const std::string& f : files) RETURN_IF_ERROR(ReadInputFile(in, f, stats, emit));
  return Status::Ok();
}

}  // namespace seek
