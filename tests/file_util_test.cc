// ReadFile and WriteOutput against what a careless invocation hands them:
// directories, FIFOs, devices, symbolic links, full disks.
#include "base/file_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "tests/test_util.h"

namespace rtr42 {
namespace {

using testing::TempDir;
using testing::WriteFile;

TEST(ReadFileTest, RegularFilesOnlyAndNeverTruncated) {
  TempDir dir;
  std::string d = dir.path();
  WriteFile(d + "/f", "0123456789");
  EXPECT_EQ(*ReadFile(d + "/f"), "0123456789");
  EXPECT_EQ(ReadFile(d).status().message(), d + ": is a directory");
  ASSERT_EQ(::mkfifo((d + "/fifo").c_str(), 0600), 0);
  EXPECT_EQ(ReadFile(d + "/fifo").status().message(), d + "/fifo: is not a regular file");
  EXPECT_EQ(ReadFile("/dev/zero").status().message(), "/dev/zero: is not a regular file");
  ReadLimits small;
  small.max_bytes = 9;
  EXPECT_EQ(ReadFile(d + "/f", small).status().code(), absl::StatusCode::kResourceExhausted);
  std::filesystem::create_symlink(d + "/f", d + "/link");
  EXPECT_TRUE(ReadFile(d + "/link").ok());
  ReadLimits no_links;
  no_links.follow_symlinks = false;
  EXPECT_EQ(ReadFile(d + "/link", no_links).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::IsNotFound(ReadFile(d + "/missing").status()));
}

TEST(WriteOutputTest, ThroughLinksIntoDevicesAndFifosAndErrorsReported) {
  TempDir dir;
  std::string d = dir.path();
  // A link is written through, to a target that does not exist yet too.
  std::filesystem::create_symlink("target.csv", d + "/link.csv");
  ASSERT_TRUE(WriteOutput(d + "/link.csv", "a\n").ok());
  EXPECT_TRUE(std::filesystem::is_symlink(d + "/link.csv"));
  EXPECT_EQ(*ReadFile(d + "/target.csv"), "a\n");
  // A device is written into, not replaced.
  ASSERT_TRUE(WriteOutput("/dev/null", "gone\n").ok());
  struct stat st;
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  // A full disk is an error.
  absl::Status full = WriteOutput("/dev/full", "x");
  EXPECT_FALSE(full.ok());
  EXPECT_NE(full.message().find("No space left"), std::string::npos) << full;
  // A FIFO: the reader gets the bytes, the FIFO stays.
  std::string fifo = d + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] {
    int fd = ::open(fifo.c_str(), O_RDONLY);
    char buf[64];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0) got.append(buf, n);
    ::close(fd);
  });
  ASSERT_TRUE(WriteOutput(fifo, "through the pipe\n").ok());
  reader.join();
  EXPECT_EQ(got, "through the pipe\n");
  ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_FALSE(WriteOutput(d, "x").ok());  // a directory
}

}  // namespace
}  // namespace rtr42
