// tests/io/safetensors_python_test.cc — cross-check with the Python reference
// (tests/reference/safetensors_io.py on /usr/bin/python3 with torch): files
// Seek writes load in PyTorch with the same values, files PyTorch writes load
// in Seek, and Seek re-writing a PyTorch file reproduces it byte for byte.
// Skipped (with the reason) only when /usr/bin/python3 or torch is missing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/random.h"
#include "io/file_util.h"
#include "io/io_test_util.h"
#include "io/safetensors.h"

namespace seek {
namespace {

using nlohmann::ordered_json;
using seek::testing::FreshSeed;
using seek::testing::ScratchDir;

constexpr const char* kPython = "/usr/bin/python3";

// The repository root: $SEEK_SOURCE_DIR, else three levels above this file.
std::string SourceDir() {
  if (const char* env = std::getenv("SEEK_SOURCE_DIR"); env && *env) return env;
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().string();
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a shell command; returns its exit status and (in *out) its stdout.
int RunCommand(const std::string& cmd, std::string* out) {
  out->clear();
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out->append(buf, n);
  return ::pclose(p);
}

class SafetensorsPython : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " is not installed";
    std::string out;
    if (RunCommand(std::string(kPython) + " -c 'import torch, numpy' 2>/dev/null", &out) != 0) {
      GTEST_SKIP() << kPython << " cannot import torch and numpy (python3-torch, python3-numpy)";
    }
    script_ = SourceDir() + "/tests/reference/safetensors_io.py";
    ASSERT_TRUE(std::filesystem::exists(script_))
        << script_ << " not found; set SEEK_SOURCE_DIR to the repository root";
  }

  // Runs safetensors_io.py with `args`; fails the test unless it exits 0.
  std::string RunScript(const std::string& args) {
    std::string out;
    int rc = RunCommand(std::string(kPython) + " " + Quote(script_) + " " + args, &out);
    EXPECT_EQ(rc, 0) << "safetensors_io.py " << args << " failed; output:\n" << out;
    return out;
  }

  std::string script_;
};

TEST_F(SafetensorsPython, PythonSelfTest) {
  EXPECT_NE(RunScript("--selftest").find("selftest ok"), std::string::npos);
}

TEST_F(SafetensorsPython, SeekWritesPyTorchReads) {
  Rng rng(FreshSeed());
  ScratchDir dir;
  const DType dtypes[] = {DType::kF32, DType::kBF16, DType::kF16};
  std::vector<Tensor> owned;
  std::vector<SafetensorsTensor> tensors;
  for (int i = 0; i < 9; ++i) {
    std::vector<int64_t> dims(rng.Below(4));
    for (auto& d : dims) d = 1 + static_cast<int64_t>(rng.Below(6));
    if (i == 8) dims = {0, 3};
    Tensor t = Tensor::F32(Shape(dims));
    for (int64_t j = 0; j < t.numel(); ++j) t.f32()[j] = rng.Normal() * 10.f;  // finite in f16
    owned.push_back(std::move(t));
    tensors.push_back({"t" + std::to_string(i), owned.back(), dtypes[i % 3]});
  }
  const std::map<std::string, std::string> meta = {{"format", "pt"}, {"by", "seek"}};
  const std::string path = dir.File("seek.safetensors");
  ASSERT_TRUE(WriteSafetensors(path, tensors, meta).ok());

  ordered_json got = ordered_json::parse(RunScript("--dump " + Quote(path)), nullptr, false);
  ASSERT_FALSE(got.is_discarded());
  EXPECT_EQ((got["metadata"].get<std::map<std::string, std::string>>()), meta);
  ASSERT_EQ(got["tensors"].size(), tensors.size());
  size_t i = 0;
  for (const auto& [name, t] : got["tensors"].items()) {
    SCOPED_TRACE(name);
    const SafetensorsTensor& want = tensors[i];
    ASSERT_EQ(name, want.name);  // PyTorch sees them in the order Seek wrote them
    EXPECT_EQ(t["dtype"].get<std::string>(), DTypeName(want.stored));
    EXPECT_EQ(t["shape"].get<std::vector<int64_t>>(), want.data.shape().dims());
    const std::vector<double> values = t["values"].get<std::vector<double>>();
    ASSERT_EQ(values.size(), static_cast<size_t>(want.data.numel()));
    for (size_t j = 0; j < values.size(); ++j) {
      float x = owned[i].f32()[j];
      float r = want.stored == DType::kBF16  ? Bf16ToF32(F32ToBf16(x))
                : want.stored == DType::kF16 ? F16ToF32(F32ToF16(x))
                                             : x;
      ASSERT_EQ(values[j], static_cast<double>(r)) << "element " << j;
    }
    ++i;
  }
}

TEST_F(SafetensorsPython, PyTorchWritesSeekReadsAndRewritesIdentically) {
  ScratchDir dir;
  const std::string seed = std::to_string(FreshSeed() % 1000000);
  const std::string path = dir.File("torch.safetensors");
  ordered_json want =
      ordered_json::parse(RunScript("--write-demo " + Quote(path) + " " + seed), nullptr, false);
  ASSERT_FALSE(want.is_discarded());

  StatusOr<SafetensorsFile> f = SafetensorsFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->metadata(), (want["metadata"].get<std::map<std::string, std::string>>()));
  ASSERT_EQ(f->entries().size(), want["tensors"].size());
  std::vector<Tensor> owned;
  std::vector<SafetensorsTensor> rewrite;
  size_t i = 0;
  for (const auto& [name, t] : want["tensors"].items()) {
    SCOPED_TRACE(name);
    const SafetensorsEntry& e = f->entries()[i++];
    ASSERT_EQ(e.name, name);
    EXPECT_EQ(DTypeName(e.dtype), t["dtype"].get<std::string>());
    EXPECT_EQ(e.shape.dims(), t["shape"].get<std::vector<int64_t>>());
    const std::vector<double> values = t["values"].get<std::vector<double>>();
    Tensor got = Tensor::F32(e.shape);
    ASSERT_TRUE(f->ReadF32(name, got.numel() ? got.f32() : nullptr, got.numel()).ok());
    ASSERT_EQ(values.size(), static_cast<size_t>(got.numel()));
    for (size_t j = 0; j < values.size(); ++j) {
      ASSERT_EQ(static_cast<double>(got.f32()[j]), values[j]) << "element " << j;
    }
    owned.push_back(std::move(got));
    rewrite.push_back({name, owned.back(), e.dtype});
  }
  // Same tensors, dtypes, order and metadata: the same bytes as the PyTorch writer.
  const std::string again = dir.File("again.safetensors");
  ASSERT_TRUE(WriteSafetensors(again, rewrite, f->metadata()).ok());
  EXPECT_EQ(*ReadFileToString(again), *ReadFileToString(path));
}

}  // namespace
}  // namespace seek
