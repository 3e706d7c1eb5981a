// VrpSource: anything that yields whole VRP sets for the daemon.
//
// RegistryVrpSource drives a RegistrySource through a RegistryCompiler
// (incremental); JsonVrpSource reads a StayRTR/rpki-client JSON file and
// reloads it when it changes. Poll() returns nullopt when nothing changed
// and an error when the source failed; in both cases the caller keeps
// serving what it has.
#ifndef RTR42_ROA_VRP_SOURCE_H_
#define RTR42_ROA_VRP_SOURCE_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "roa/compiler.h"
#include "roa/registry_source.h"
#include "roa/vrp.h"

namespace rtr42::roa {

struct VrpSnapshot {
  std::shared_ptr<const VrpSet> set;
  std::string revision;
  size_t objects = 0;      // route objects held (registry sources)
  size_t parsed = 0;       // objects read for this snapshot
  size_t diagnostics = 0;  // dropped or adjusted
  std::shared_ptr<const std::vector<Diagnostic>> diagnostic_list;  // registry sources
  double seconds = 0;                                              // time to read and compile
};

class VrpSource {
 public:
  virtual ~VrpSource() = default;
  virtual absl::StatusOr<std::optional<VrpSnapshot>> Poll() = 0;
  virtual std::string Describe() const = 0;
  virtual bool is_remote() const { return false; }
};

class RegistryVrpSource : public VrpSource {
 public:
  explicit RegistryVrpSource(std::unique_ptr<RegistrySource> source);
  absl::StatusOr<std::optional<VrpSnapshot>> Poll() override;
  std::string Describe() const override { return source_->Describe(); }
  bool is_remote() const override { return source_->is_remote(); }
  const RegistryCompiler& compiler() const { return compiler_; }

 private:
  std::unique_ptr<RegistrySource> source_;
  RegistryCompiler compiler_;
};

class JsonVrpSource : public VrpSource {
 public:
  explicit JsonVrpSource(std::string path) : path_(std::move(path)) {}
  absl::StatusOr<std::optional<VrpSnapshot>> Poll() override;
  std::string Describe() const override { return "json " + path_; }

 private:
  std::string path_;
  int64_t mtime_ns_ = -1;
  int64_t size_ = -1;
  uint64_t inode_ = 0;
};

}  // namespace rtr42::roa

#endif  // RTR42_ROA_VRP_SOURCE_H_
