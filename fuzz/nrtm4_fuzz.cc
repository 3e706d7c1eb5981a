// The NRTMv4 file readers: the Update Notification File parser, and the
// JSON Text Sequence record reader (plain and gzip) with the header check
// and RPSL key extraction a mirror runs on every record.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/string_view.h"
#include "nrtm4/files.h"

namespace {

const std::string& ScratchFile() {
  static const std::string path = [] {
    char name[] = "/tmp/rtr42-nrtm4-fuzz-XXXXXX";
    int fd = mkstemp(name);
    if (fd >= 0) close(fd);
    return std::string(name);
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rtr42::nrtm4;
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<Notification> n = ParseNotification(bytes);
  if (n.ok()) (void)ParseNotification(FormatNotification(*n));
  static const Notification kFeed = [] {
    Notification f;
    f.source = "DN42";
    f.session_id = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    f.version = 3;
    return f;
  }();

  {
    std::ofstream out(ScratchFile(), std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  absl::StatusOr<std::unique_ptr<RecordReader>> reader = RecordReader::Open(ScratchFile());
  if (!reader.ok()) return 0;
  bool first = true;
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<std::optional<nlohmann::json>> record = (*reader)->Next();
    if (!record.ok() || !record->has_value()) break;
    const nlohmann::json& r = **record;
    if (first) {
      (void)CheckHeader(r, "snapshot", kFeed, 3);
      first = false;
    } else if (r.is_object() && r.contains("object") && r["object"].is_string()) {
      std::string text = r["object"].get<std::string>();
      (void)KeyOf(text);
      (void)SourceOf(text);
    }
  }
  return 0;
}
