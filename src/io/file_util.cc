// io/file_util.cc — whole-file reads and crash-safe (write, fsync, rename) writes.
//
// Plain POSIX calls so that every failure can name the path and the errno
// reason, and so that the fsync/rename order is explicit.
#include "io/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace seek {
namespace {

std::string ErrnoText(int err) {
  return std::strerror(err);
}

// Closes a descriptor on scope exit unless released.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

Status WriteAll(int fd, std::string_view contents, const std::string& path) {
  const char* p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("{}: write failed: {}", path, ErrnoText(errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

std::string DirName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Writes and syncs the temp file; the caller removes it on failure.
Status WriteTemp(const std::string& tmp, std::string_view contents) {
  int raw = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (raw < 0) return IoError("{}: cannot create temp file: {}", tmp, ErrnoText(errno));
  FdCloser fd(raw);
  RETURN_IF_ERROR(WriteAll(raw, contents, tmp));
  if (::fsync(raw) != 0) return IoError("{}: fsync failed: {}", tmp, ErrnoText(errno));
  if (::close(fd.release()) != 0) return IoError("{}: close failed: {}", tmp, ErrnoText(errno));
  return Status::Ok();
}

}  // namespace

StatusOr<std::string> ReadFileToString(const std::string& path) {
  int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw < 0) return IoError("{}: cannot open for reading: {}", path, ErrnoText(errno));
  FdCloser fd(raw);
  struct stat st;
  if (::fstat(raw, &st) != 0) return IoError("{}: fstat failed: {}", path, ErrnoText(errno));
  if (S_ISDIR(st.st_mode)) return IoError("{}: cannot read: {}", path, ErrnoText(EISDIR));
  std::string out;
  // st_size is a hint: files in /proc report 0, and files can change under us.
  size_t cap = st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1 : 4096;
  out.resize(cap);
  size_t len = 0;
  for (;;) {
    if (len == out.size()) out.resize(out.size() * 2);
    ssize_t n = ::read(raw, out.data() + len, out.size() - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("{}: read failed: {}", path, ErrnoText(errno));
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  out.resize(len);
  return out;
}

Status WriteFileAtomic(const std::string& path, std::string_view contents) {
  if (path.empty() || path.back() == '/') {
    return InvalidArgumentError("'{}' is not a file path (empty or ends in '/')", path);
  }
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  Status s = WriteTemp(tmp, contents);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    s = IoError("{}: cannot rename {} over it: {}", path, tmp, ErrnoText(errno));
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());  // best effort; ENOENT when creation itself failed
    return s;
  }
  // The rename is durable only once the directory entry is on disk.
  const std::string dir = DirName(path);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return IoError("{}: cannot open directory {} to fsync: {}", path, dir, ErrnoText(errno));
  FdCloser dir_closer(dfd);
  // Some file systems cannot fsync a directory (EINVAL); there is nothing more to do there.
  if (::fsync(dfd) != 0 && errno != EINVAL) {
    return IoError("{}: fsync of directory {} failed: {}", path, dir, ErrnoText(errno));
  }
  return Status::Ok();
}

}  // namespace seek
