// tests/io/safetensors_errors_test.cc — the safetensors reader on corrupt and
// hostile input: every validation rule gives the right StatusCode and a message
// naming the file and the tensor; truncation at every byte and random byte
// flips give errors, never crashes (run under ASan/UBSan to make that count).
#include <gtest/gtest.h>

#include <cstring>

#include "core/random.h"
#include "io/file_util.h"
#include "io/io_test_util.h"
#include "io/safetensors.h"

namespace seek {
namespace {

using seek::testing::FreshSeed;
using seek::testing::RawSafetensors;
using seek::testing::ScratchDir;

constexpr const char* kLabel = "bad.safetensors";

struct BadCase {
  const char* what;
  std::string bytes;
  StatusCode code;
  std::vector<std::string> needles;  // all must appear in the message (besides kLabel)
};

std::string Entry(const std::string& dtype, const std::string& shape, const std::string& offs) {
  return R"({"dtype":")" + dtype + R"(","shape":)" + shape + R"(,"data_offsets":)" + offs + "}";
}

// A header with one tensor "w" and a data section of `data_size` zero bytes.
std::string One(const std::string& entry, size_t data_size) {
  return RawSafetensors(R"({"w":)" + entry + "}", std::string(data_size, '\0'));
}

std::vector<BadCase> BadCases() {
  const StatusCode kLoss = StatusCode::kDataLoss;
  const StatusCode kUnimpl = StatusCode::kUnimplemented;
  std::string len_only(8, '\0');
  std::string huge_len = RawSafetensors("{}");
  huge_len[7] = static_cast<char>(0x80);  // 2^63
  std::string absurd = RawSafetensors("{}");
  const uint64_t n200mb = 200'000'000;
  std::memcpy(absurd.data(), &n200mb, 8);
  std::string past_end = RawSafetensors(R"({"w":1})");
  past_end[0] = 100;
  const std::string ok_w = Entry("F32", "[2]", "[0,8]");
  return {
      {"empty file", "", kLoss, {"8-byte"}},
      {"5 bytes", "12345", kLoss, {"5 bytes"}},
      {"zero header length", len_only, kLoss, {"JSON"}},
      {"header length 2^63", huge_len, kLoss, {"9223372036854775810"}},
      {"header length 200 MB", absurd, kLoss, {"200000000"}},
      {"header past end", past_end, kLoss, {"100", "truncated"}},
      {"not json", RawSafetensors(R"({"w":)"), kLoss, {"JSON"}},
      {"json array", RawSafetensors("[1,2]"), kLoss, {"array"}},
      {"json string", RawSafetensors(R"("w")"), kLoss, {"string"}},
      {"invalid utf8", RawSafetensors("{\"w\xff\":1}"), kLoss, {"JSON"}},
      {"nul padding", RawSafetensors(std::string("{}\0\0", 4)), kLoss, {"JSON"}},
      {"entry not object", One("[1]", 0), kLoss, {"'w'", "array"}},
      {"missing dtype", One(R"({"shape":[2],"data_offsets":[0,8]})", 8), kLoss, {"'w'", "dtype"}},
      {"missing shape", One(R"({"dtype":"F32","data_offsets":[0,8]})", 8), kLoss, {"'w'", "shape"}},
      {"missing offsets", One(R"({"dtype":"F32","shape":[2]})", 8), kLoss, {"'w'", "data_offsets"}},
      {"dtype number",
       One(R"({"dtype":1,"shape":[2],"data_offsets":[0,8]})", 8),
       kLoss,
       {"'w'", "dtype"}},
      {"dtype I64",
       One(Entry("I64", "[1]", "[0,8]"), 8),
       kUnimpl,
       {"'w'", "I64", "F32, F16, BF16"}},
      {"dtype f32 lowercase",
       One(Entry("f32", "[2]", "[0,8]"), 8),
       kLoss,
       {"'w'", "f32", "F32, F16, BF16"}},
      {"shape not array", One(Entry("F32", "2", "[0,8]"), 8), kLoss, {"'w'", "shape"}},
      {"shape negative", One(Entry("F32", "[-2]", "[0,8]"), 8), kLoss, {"'w'", "-2"}},
      {"shape float", One(Entry("F32", "[2.5]", "[0,8]"), 8), kLoss, {"'w'", "2.5"}},
      {"shape 2.0", One(Entry("F32", "[2.0]", "[0,8]"), 8), kLoss, {"'w'", "shape[0]"}},
      {"shape string", One(Entry("F32", R"(["2"])", "[0,8]"), 8), kLoss, {"'w'", "shape[0]"}},
      {"shape bool", One(Entry("F32", "[true]", "[0,4]"), 4), kLoss, {"'w'", "shape[0]"}},
      {"shape above int64",
       One(Entry("F32", "[18446744073709551615]", "[0,8]"), 8),
       kLoss,
       {"'w'", "too large"}},
      {"shape above uint64", One(Entry("F32", "[1e30]", "[0,8]"), 8), kLoss, {"'w'", "shape[0]"}},
      {"seven dims", One(Entry("F32", "[1,1,1,1,1,1,2]", "[0,8]"), 8), kUnimpl, {"'w'", "7 dims"}},
      {"numel overflow",
       One(Entry("F32", "[4294967296,4294967296]", "[0,8]"), 8),
       kLoss,
       {"'w'", "64 bits"}},
      {"numel overflow before zero",
       One(Entry("F32", "[4611686018427387904,4,0]", "[0,0]"), 0),
       kLoss,
       {"'w'", "64 bits"}},
      {"bytes overflow",
       One(Entry("F32", "[4611686018427387904]", "[0,8]"), 8),
       kLoss,
       {"'w'", "bytes"}},
      {"offsets not array", One(Entry("F32", "[2]", "8"), 8), kLoss, {"'w'", "data_offsets"}},
      {"offsets 3 values", One(Entry("F32", "[2]", "[0,8,8]"), 8), kLoss, {"'w'", "data_offsets"}},
      {"offsets negative", One(Entry("F32", "[2]", "[-8,0]"), 8), kLoss, {"'w'", "data_offsets"}},
      {"offsets float", One(Entry("F32", "[2]", "[0,8.0]"), 8), kLoss, {"'w'", "data_offsets"}},
      {"offsets begin > end", One(Entry("F32", "[0]", "[8,4]"), 8), kLoss, {"'w'", "begin > end"}},
      {"offsets past data", One(Entry("F32", "[2]", "[0,8]"), 7), kLoss, {"'w'", "7 bytes"}},
      {"offsets huge",
       One(Entry("F32", "[2]", "[18446744073709551608,18446744073709551615]"), 8),
       kLoss,
       {"'w'", "data section"}},
      {"size mismatch", One(Entry("F32", "[3]", "[0,8]"), 8), kLoss, {"'w'", "needs 12"}},
      {"bf16 size mismatch", One(Entry("BF16", "[2]", "[0,8]"), 8), kLoss, {"'w'", "needs 4"}},
      {"overlap",
       RawSafetensors(R"({"w":)" + ok_w + R"(,"v":)" + Entry("F32", "[2]", "[4,12]") + "}",
                      std::string(12, '\0')),
       kLoss,
       {"'w'", "'v'", "overlap"}},
      {"hole",
       RawSafetensors(R"({"w":)" + ok_w + R"(,"v":)" + Entry("F32", "[1]", "[12,16]") + "}",
                      std::string(16, '\0')),
       kLoss,
       {"'v'", "[8, 12)", "holes"}},
      {"trailing bytes", One(ok_w, 9), kLoss, {"9 bytes", "only 8"}},
      {"duplicate names",
       RawSafetensors(R"({"w":)" + ok_w + R"(,"w":)" + ok_w + "}", std::string(8, '\0')),
       kLoss,
       {"'w'", "twice"}},
      {"duplicate field",
       One(R"({"dtype":"F32","dtype":"F16","shape":[2],"data_offsets":[0,8]})", 8),
       kLoss,
       {"'dtype'", "twice"}},
      {"metadata not object", RawSafetensors(R"({"__metadata__":[]})"), kLoss, {"__metadata__"}},
      {"metadata number value",
       RawSafetensors(R"({"__metadata__":{"step":5}})"),
       kLoss,
       {"__metadata__", "'step'", "number"}},
      {"metadata null value",
       RawSafetensors(R"({"__metadata__":{"format":null}})"),
       kLoss,
       {"'format'", "null"}},
  };
}

TEST(SafetensorsErrors, EveryRuleHasCodeAndMessage) {
  for (const BadCase& c : BadCases()) {
    SCOPED_TRACE(c.what);
    StatusOr<SafetensorsFile> f = SafetensorsFile::Parse(c.bytes, kLabel);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.status().code(), c.code) << f.status().ToString();
    const std::string& msg = f.status().message();
    EXPECT_NE(msg.find(kLabel), std::string::npos) << msg;
    for (const std::string& needle : c.needles) {
      EXPECT_NE(msg.find(needle), std::string::npos) << "'" << needle << "' not in: " << msg;
    }
  }
}

TEST(SafetensorsErrors, AcceptsValidEdgeCases) {
  struct Good {
    const char* what;
    std::string bytes;
    size_t n_entries;
  };
  const std::vector<Good> goods = {
      {"empty header", RawSafetensors("{}"), 0},
      {"header padded with spaces", RawSafetensors("{}      "), 0},
      {"leading whitespace", RawSafetensors(" \n{}"), 0},
      {"scalar", One(Entry("F32", "[]", "[0,4]"), 4), 1},
      {"zero-size tensor", One(Entry("BF16", "[0,5]", "[0,0]"), 0), 1},
      {"minus zero dim", One(Entry("F32", "[-0]", "[0,0]"), 0), 1},
      {"extra fields ignored", One(R"({"dtype":"F16","shape":[1],"data_offsets":[0,2],"x":1})", 2),
       1},
      {"metadata only", RawSafetensors(R"({"__metadata__":{"a":"b"}})"), 0},
      {"zero-size between tensors",
       RawSafetensors(R"({"a":)" + Entry("F16", "[1]", "[0,2]") + R"(,"z":)" +
                          Entry("F32", "[0]", "[2,2]") + R"(,"b":)" + Entry("F16", "[1]", "[2,4]") +
                          "}",
                      "abcd"),
       3},
  };
  for (const Good& g : goods) {
    StatusOr<SafetensorsFile> f = SafetensorsFile::Parse(g.bytes, kLabel);
    ASSERT_TRUE(f.ok()) << g.what << ": " << f.status().ToString();
    EXPECT_EQ(f->entries().size(), g.n_entries) << g.what;
  }
}

// A small valid file with metadata and every dtype.
std::string SmallValidFile(Rng& rng) {
  ScratchDir dir;
  Tensor a = Tensor::F32({2, 3});
  for (int i = 0; i < 6; ++i) a.f32()[i] = rng.Normal();
  Tensor b = Tensor::F32({3});
  for (int i = 0; i < 3; ++i) b.f32()[i] = rng.Normal();
  Tensor s = Tensor::F32(Shape());
  CHECK_OK(WriteSafetensors(dir.File("v.st"),
                            {{"a.weight", a, DType::kF32},
                             {"b", b, DType::kBF16},
                             {"c", a, DType::kF16},
                             {"s", s, DType::kF32}},
                            {{"format", "pt"}}));
  StatusOr<SafetensorsFile> f = SafetensorsFile::Open(dir.File("v.st"));
  CHECK_OK(f.status());
  StatusOr<std::string> bytes = ReadFileToString(dir.File("v.st"));
  CHECK_OK(bytes.status());
  return *bytes;
}

// Parses and, when that succeeds, reads every tensor: what the fuzzer does.
bool ParseAndReadAll(const std::string& bytes) {
  StatusOr<SafetensorsFile> f = SafetensorsFile::Parse(bytes, kLabel);
  if (!f.ok()) {
    EXPECT_NE(f.status().message().find(kLabel), std::string::npos) << f.status().message();
    return false;
  }
  for (const SafetensorsEntry& e : f->entries()) {
    std::vector<float> out(static_cast<size_t>(e.shape.numel()));
    EXPECT_TRUE(f->ReadF32(e.name, out.data(), e.shape.numel()).ok()) << e.name;
  }
  return true;
}

TEST(SafetensorsErrors, TruncationAtEveryByteIsDataLoss) {
  Rng rng(FreshSeed());
  const std::string full = SmallValidFile(rng);
  ASSERT_TRUE(ParseAndReadAll(full));
  for (size_t cut = 0; cut < full.size(); ++cut) {
    StatusOr<SafetensorsFile> f = SafetensorsFile::Parse(full.substr(0, cut), kLabel);
    ASSERT_FALSE(f.ok()) << "truncated to " << cut << " of " << full.size() << " bytes";
    EXPECT_EQ(f.status().code(), StatusCode::kDataLoss) << cut << ": " << f.status().ToString();
  }
}

TEST(SafetensorsErrors, RandomByteFlipsNeverCrash) {
  Rng rng(FreshSeed());
  const std::string full = SmallValidFile(rng);
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string bytes = full;
    const int flips = 1 + static_cast<int>(rng.Below(4));
    for (int i = 0; i < flips; ++i) {
      // Half of the flips hit the length field and header, where the parsing is.
      const size_t limit = rng.Below(2) ? std::min<size_t>(bytes.size(), 200) : bytes.size();
      bytes[rng.Below(limit)] = static_cast<char>(rng.Below(256));
    }
    if (rng.Below(8) == 0) bytes.resize(rng.Below(bytes.size() + 1));
    accepted += ParseAndReadAll(bytes);
  }
  // Flips in the data section (or of a byte to itself) leave a valid file.
  EXPECT_GT(accepted, 0);
}

TEST(SafetensorsErrors, RandomGarbageNeverCrashes) {
  Rng rng(FreshSeed());
  for (int iter = 0; iter < 5000; ++iter) {
    std::string header(rng.Below(64), ' ');
    const char kAlphabet[] = "{}[]\":,0123456789-.e \"dtype\"shape\"data_offsets\"F32BF16";
    for (char& c : header) c = kAlphabet[rng.Below(sizeof(kAlphabet) - 1)];
    std::string bytes = RawSafetensors(header, std::string(rng.Below(32), 'x'));
    ParseAndReadAll(bytes);
  }
}

}  // namespace
}  // namespace seek
