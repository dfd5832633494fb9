// tests/io/file_util_test.cc — ReadFileToString and WriteFileAtomic: round trips,
// error messages that name the path and the OS reason, no temp file left behind.
#include "io/file_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/random.h"
#include "io/io_test_util.h"

namespace seek {
namespace {

using seek::testing::FreshSeed;
using seek::testing::ScratchDir;

std::string RandomBytes(Rng& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng.Below(256));
  return s;
}

TEST(FileUtil, WriteThenReadRoundTripsAnyBytes) {
  Rng rng(FreshSeed());
  ScratchDir dir;
  for (size_t n : {size_t{0}, size_t{1}, size_t{4095}, size_t{4096}, size_t{1} << 20,
                   static_cast<size_t>(rng.Below(100000))}) {
    const std::string path = dir.File("f.bin");
    const std::string contents = RandomBytes(rng, n);
    ASSERT_TRUE(WriteFileAtomic(path, contents).ok()) << n;
    StatusOr<std::string> back = ReadFileToString(path);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, contents) << n;
    EXPECT_EQ(dir.List(), std::vector<std::string>{"f.bin"}) << "temp file left behind";
  }
}

TEST(FileUtil, WriteReplacesExistingFile) {
  ScratchDir dir;
  const std::string path = dir.File("config.json");
  ASSERT_TRUE(WriteFileAtomic(path, std::string(10000, 'a')).ok());
  ASSERT_TRUE(WriteFileAtomic(path, "short").ok());
  EXPECT_EQ(*ReadFileToString(path), "short");
  EXPECT_EQ(dir.List(), std::vector<std::string>{"config.json"});
}

TEST(FileUtil, RelativePathWritesInCurrentDirectory) {
  ScratchDir dir;
  char old_cwd[4096];
  ASSERT_NE(::getcwd(old_cwd, sizeof(old_cwd)), nullptr);
  ASSERT_EQ(::chdir(dir.path().c_str()), 0);
  Status s = WriteFileAtomic("plain_name.txt", "x");
  ASSERT_EQ(::chdir(old_cwd), 0);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(*ReadFileToString(dir.File("plain_name.txt")), "x");
}

TEST(FileUtil, WriteIntoMissingDirectoryNamesPathAndReason) {
  ScratchDir dir;
  const std::string path = dir.File("no/such/dir/f.bin");
  Status s = WriteFileAtomic(path, "data");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("No such file or directory"), std::string::npos) << s.message();
  EXPECT_TRUE(dir.List().empty());
}

TEST(FileUtil, FailedRenameRemovesTempAndKeepsTarget) {
  ScratchDir dir;
  // rename() cannot replace a non-empty directory, so the write fails after the temp exists.
  const std::string path = dir.File("target");
  std::filesystem::create_directory(path);
  ASSERT_TRUE(WriteFileAtomic(path + "/inner", "keep me").ok());
  Status s = WriteFileAtomic(path, "new contents");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
  EXPECT_EQ(dir.List(), std::vector<std::string>{"target"}) << "temp file left behind";
  EXPECT_EQ(*ReadFileToString(path + "/inner"), "keep me");
}

TEST(FileUtil, EmptyOrDirectoryPathIsInvalid) {
  EXPECT_EQ(WriteFileAtomic("", "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteFileAtomic("/tmp/", "x").code(), StatusCode::kInvalidArgument);
}

TEST(FileUtil, ReadMissingFileNamesPathAndReason) {
  ScratchDir dir;
  const std::string path = dir.File("absent.safetensors");
  StatusOr<std::string> r = ReadFileToString(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIoError);
  EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("No such file or directory"), std::string::npos);
}

TEST(FileUtil, ReadDirectoryIsAnError) {
  ScratchDir dir;
  StatusOr<std::string> r = ReadFileToString(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIoError);
  EXPECT_NE(r.status().message().find(dir.path()), std::string::npos);
}

TEST(FileUtil, ReadFileWhoseSizeIsUnknown) {
  // /proc files report st_size 0 but have contents.
  if (!std::filesystem::exists("/proc/self/status")) GTEST_SKIP() << "no /proc on this system";
  StatusOr<std::string> r = ReadFileToString("/proc/self/status");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->find("Name:"), std::string::npos);
}

}  // namespace
}  // namespace seek
