// tests/io/safetensors_test.cc — safetensors writer and reader: random round
// trips in every dtype, the exact byte layout, metadata, conversion on read and
// the writer's errors. Corrupt-input handling is in safetensors_errors_test.cc,
// the cross-check against the Python reference in safetensors_python_test.cc.
#include "io/safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <tuple>

#include "core/random.h"
#include "io/file_util.h"
#include "io/io_test_util.h"

namespace seek {
namespace {

using seek::testing::FreshSeed;
using seek::testing::RawSafetensors;
using seek::testing::ScratchDir;

constexpr DType kAllDTypes[] = {DType::kF32, DType::kBF16, DType::kF16};

// What a value becomes after being stored as `t` and read back as f32.
float Rounded(float x, DType t) {
  switch (t) {
    case DType::kF32: return x;
    case DType::kBF16: return Bf16ToF32(F32ToBf16(x));
    case DType::kF16: return F16ToF32(F32ToF16(x));
  }
  return x;
}

Shape RandomShape(Rng& rng) {
  std::vector<int64_t> dims(rng.Below(5));                      // 0..4 dims; 0 dims is a scalar
  for (auto& d : dims) d = static_cast<int64_t>(rng.Below(7));  // 0 makes an empty tensor
  return Shape(dims);
}

Tensor RandomTensor(Rng& rng, DType dtype, Shape shape) {
  Tensor f = Tensor::F32(shape);
  // Wide range so that f16 overflow to inf and subnormals are exercised too.
  const float scale = std::ldexp(1.f, static_cast<int>(rng.Below(40)) - 25);
  for (int64_t i = 0; i < f.numel(); ++i) f.f32()[i] = rng.Normal() * scale;
  if (dtype == DType::kF32) return f;
  Tensor t(dtype, shape);
  // ConvertDType memcpys even for n == 0, and empty tensors have no buffer.
  if (f.numel() > 0) {
    ConvertDType(f.data(), DType::kF32, t.data(), dtype, static_cast<size_t>(f.numel()));
  }
  return t;
}

std::vector<float> AsF32(const Tensor& t) {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  if (!out.empty()) ConvertDType(t.data(), t.dtype(), out.data(), DType::kF32, out.size());
  return out;
}

// Compares bit patterns so that -0 vs 0 and inf are checked exactly.
void ExpectSameBits(const std::vector<float>& want, const std::vector<float>& got,
                    const std::string& what) {
  ASSERT_EQ(want.size(), got.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    uint32_t a, b;
    std::memcpy(&a, &want[i], 4);
    std::memcpy(&b, &got[i], 4);
    ASSERT_EQ(a, b) << what << " element " << i << ": want " << want[i] << " got " << got[i];
  }
}

TEST(Safetensors, RandomRoundTripInEveryDType) {
  Rng rng(FreshSeed());
  ScratchDir dir;
  for (int iter = 0; iter < 50; ++iter) {
    std::vector<Tensor> owned;
    std::vector<SafetensorsTensor> tensors;
    const int n = 1 + static_cast<int>(rng.Below(8));
    for (int i = 0; i < n; ++i) {
      const DType in = kAllDTypes[rng.Below(3)];
      const DType stored = kAllDTypes[rng.Below(3)];
      owned.push_back(RandomTensor(rng, in, RandomShape(rng)));
      tensors.push_back({"layer." + std::to_string(i) + ".w", owned.back(), stored});
    }
    const std::string path = dir.File("model.safetensors");
    ASSERT_TRUE(WriteSafetensors(path, tensors).ok());
    StatusOr<SafetensorsFile> f = SafetensorsFile::Open(path);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    ASSERT_EQ(f->entries().size(), tensors.size());
    EXPECT_TRUE(f->metadata().empty());
    for (size_t i = 0; i < tensors.size(); ++i) {
      const SafetensorsEntry& e = f->entries()[i];  // data order == the order written
      const SafetensorsTensor& t = tensors[i];
      EXPECT_EQ(e.name, t.name);
      EXPECT_EQ(e.dtype, t.stored);
      EXPECT_EQ(e.shape, t.data.shape());
      EXPECT_EQ(e.nbytes, static_cast<uint64_t>(t.data.numel()) * DTypeSize(t.stored));
      EXPECT_EQ(f->Find(t.name), &e);
      std::vector<float> want = AsF32(owned[i]);
      for (float& v : want) v = Rounded(v, t.stored);
      std::vector<float> got(want.size(), -1.f);
      ASSERT_TRUE(f->ReadF32(t.name, got.data(), t.data.numel()).ok());
      ExpectSameBits(want, got, t.name);
      if (t.stored == t.data.dtype() && e.nbytes > 0) {
        EXPECT_EQ(std::memcmp(f->Data(e), owned[i].data(), e.nbytes), 0) << t.name;
      }
    }
    EXPECT_EQ(dir.List(), std::vector<std::string>{"model.safetensors"});
  }
}

TEST(Safetensors, ExactLayoutMatchesReferenceWriter) {
  ScratchDir dir;
  Tensor a = Tensor::F32({2});
  a.f32()[0] = 1.f;
  a.f32()[1] = -2.f;
  Tensor b = Tensor::F32({1, 1});
  b.f32()[0] = 1.f;
  const std::string path = dir.File("x.safetensors");
  ASSERT_TRUE(
      WriteSafetensors(path, {{"a", a, DType::kF32}, {"b", b, DType::kBF16}}, {{"format", "pt"}})
          .ok());
  const std::string header =
      R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"BF16","shape":[1,1],"data_offsets":[8,10]}})";
  const std::string padded = header + std::string((8 - header.size() % 8) % 8, ' ');
  std::string data(10, '\0');
  const float av[2] = {1.f, -2.f};
  std::memcpy(data.data(), av, 8);
  data[8] = static_cast<char>(0x80);  // bf16 1.0 = 0x3f80, little-endian
  data[9] = static_cast<char>(0x3f);
  EXPECT_EQ(*ReadFileToString(path), RawSafetensors(padded, data));
  EXPECT_EQ((8 + padded.size()) % 8, 0u);
}

TEST(Safetensors, MetadataRoundTrip) {
  ScratchDir dir;
  const std::map<std::string, std::string> meta = {{"format", "pt"},
                                                   {"empty", ""},
                                                   {"unicode", "h\xc3\xa9llo \xe2\x9c\x93"},
                                                   {"quotes", "a \"b\" \\ c\n"},
                                                   {"step", "12345"}};
  Tensor t = Tensor::F32({3});
  ASSERT_TRUE(WriteSafetensors(dir.File("m.st"), {{"t", t, DType::kF32}}, meta).ok());
  StatusOr<SafetensorsFile> f = SafetensorsFile::Open(dir.File("m.st"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->metadata(), meta);
  // Metadata alone, no tensors.
  ASSERT_TRUE(WriteSafetensors(dir.File("only_meta.st"), {}, meta).ok());
  f = SafetensorsFile::Open(dir.File("only_meta.st"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->metadata(), meta);
  EXPECT_TRUE(f->entries().empty());
}

TEST(Safetensors, ConvertsOnReadFromUnalignedData) {
  Rng rng(FreshSeed());
  ScratchDir dir;
  // An odd-length bf16 tensor first leaves the next tensors at offsets that are 2 mod 4.
  Tensor odd = RandomTensor(rng, DType::kF32, {3});
  Tensor f32 = RandomTensor(rng, DType::kF32, {5, 3});
  Tensor f16 = RandomTensor(rng, DType::kF32, {4097});  // more than one conversion chunk
  ASSERT_TRUE(WriteSafetensors(dir.File("u.st"), {{"odd", odd, DType::kBF16},
                                                  {"f32", f32, DType::kF32},
                                                  {"f16", f16, DType::kF16}})
                  .ok());
  StatusOr<SafetensorsFile> f = SafetensorsFile::Open(dir.File("u.st"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->Find("f32")->offset % 4, 2u);
  for (const auto& [name, src, dt] :
       {std::tuple{"odd", &odd, DType::kBF16}, std::tuple{"f32", &f32, DType::kF32},
        std::tuple{"f16", &f16, DType::kF16}}) {
    std::vector<float> want = AsF32(*src);
    for (float& v : want) v = Rounded(v, dt);
    std::vector<float> got(want.size());
    ASSERT_TRUE(f->ReadF32(name, got.data(), static_cast<int64_t>(got.size())).ok());
    ExpectSameBits(want, got, name);
  }
}

TEST(Safetensors, ReadF32Errors) {
  ScratchDir dir;
  Tensor t = Tensor::F32({2, 3});
  ASSERT_TRUE(WriteSafetensors(dir.File("r.st"), {{"w", t, DType::kF32}}).ok());
  StatusOr<SafetensorsFile> f = SafetensorsFile::Open(dir.File("r.st"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->label(), dir.File("r.st"));
  float buf[6];
  Status s = f->ReadF32("missing.weight", buf, 6);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("missing.weight"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(dir.File("r.st")), std::string::npos) << s.message();
  EXPECT_EQ(f->Find("missing.weight"), nullptr);
  s = f->ReadF32("w", buf, 5);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'w'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("[2, 3]"), std::string::npos) << s.message();
}

TEST(Safetensors, ScalarsAndEmptyTensors) {
  ScratchDir dir;
  Tensor scalar = Tensor::F32(Shape());
  scalar.f32()[0] = 3.5f;
  Tensor empty(DType::kBF16, {0, 4});
  ASSERT_TRUE(
      WriteSafetensors(dir.File("s.st"),
                       {{"empty", empty, DType::kBF16},
                        {"scalar", scalar, DType::kF16},
                        {"null", TensorView(nullptr, DType::kF32, Shape({0})), DType::kF32}})
          .ok());
  StatusOr<SafetensorsFile> f = SafetensorsFile::Open(dir.File("s.st"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f->entries().size(), 3u);
  float v = 0.f;
  ASSERT_TRUE(f->ReadF32("scalar", &v, 1).ok());
  EXPECT_EQ(v, 3.5f);
  EXPECT_EQ(f->Find("scalar")->shape.ndim(), 0);
  EXPECT_TRUE(f->ReadF32("empty", nullptr, 0).ok());
  EXPECT_EQ(f->Find("empty")->shape, Shape({0, 4}));
}

void ExpectWriteFails(const std::string& path, const std::vector<SafetensorsTensor>& tensors,
                      StatusCode code, const std::string& needle) {
  Status s = WriteSafetensors(path, tensors);
  EXPECT_EQ(s.code(), code) << s.ToString();
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
}

TEST(Safetensors, WriterErrors) {
  ScratchDir dir;
  const std::string path = dir.File("w.st");
  Tensor t = Tensor::F32({2});
  ExpectWriteFails(
      path, {{"a", t, DType::kF32}, {"dup.name", t, DType::kF32}, {"dup.name", t, DType::kBF16}},
      StatusCode::kInvalidArgument, "dup.name");
  ExpectWriteFails(path, {{"__metadata__", t, DType::kF32}}, StatusCode::kInvalidArgument,
                   "__metadata__");
  float x[2] = {0, 0};
  ExpectWriteFails(path, {{"neg", TensorView(x, DType::kF32, Shape({-2})), DType::kF32}},
                   StatusCode::kInvalidArgument, "neg");
  ExpectWriteFails(path, {{"nodata", TensorView(nullptr, DType::kF32, Shape({2})), DType::kF32}},
                   StatusCode::kInvalidArgument, "nodata");
  ExpectWriteFails(path, {{"bad\xff utf8", t, DType::kF32}}, StatusCode::kInvalidArgument, "UTF-8");
  ExpectWriteFails(
      path, {{"huge", TensorView(x, DType::kF32, Shape({1ll << 40, 1ll << 40})), DType::kF32}},
      StatusCode::kInvalidArgument, "huge");
  EXPECT_TRUE(dir.List().empty()) << "a failed write left a file";
  const std::string missing = dir.File("no_dir/w.st");
  ExpectWriteFails(missing, {{"a", t, DType::kF32}}, StatusCode::kIoError, missing);
}

TEST(Safetensors, OpenMissingFileIsIoError) {
  ScratchDir dir;
  StatusOr<SafetensorsFile> f = SafetensorsFile::Open(dir.File("nope.safetensors"));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kIoError);
  EXPECT_NE(f.status().message().find("nope.safetensors"), std::string::npos);
}

}  // namespace
}  // namespace seek
