#include "sources/json_vrp_source.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "roa/vrp_format.h"

namespace rtr42::sources {

bool IsUrl(const std::string& location) { return absl::StrContains(location, "://"); }

namespace {
http::ClientOptions WithGzip(http::ClientOptions options) {
  options.accept_gzip = true;
  return options;
}
}  // namespace

JsonVrpSource::JsonVrpSource(JsonSourceOptions options)
    : options_(std::move(options)),
      url_(IsUrl(options_.location)),
      client_(WithGzip(options_.https)) {}

JsonVrpSource::JsonVrpSource(std::string path)
    : JsonVrpSource(JsonSourceOptions{.location = std::move(path)}) {}

absl::StatusOr<std::optional<VrpSnapshot>> JsonVrpSource::Poll() {
  return url_ ? PollUrl() : PollFile();
}

absl::StatusOr<std::optional<VrpSnapshot>> JsonVrpSource::PollFile() {
  absl::Time start = absl::Now();
  const std::string& path = options_.location;
  std::optional<FileStamp> stamp = StampOf(path);
  if (!stamp) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  if (stamp == loaded_) return std::nullopt;
  roa::VrpJsonMetadata metadata;
  absl::StatusOr<roa::VrpSet> set = roa::ReadVrpJsonFile(path, &metadata);
  if (!set.ok()) return set.status();
  loaded_ = stamp;
  return Snapshot(std::move(*set), metadata, Describe(), start);
}

absl::StatusOr<std::optional<VrpSnapshot>> JsonVrpSource::PollUrl() {
  absl::Time start = absl::Now();
  std::string body;
  absl::StatusOr<http::FetchResult> fetched = client_.Get(options_.location, &body, validators_);
  if (!fetched.ok()) return fetched.status();
  if (fetched->not_modified) return std::nullopt;
  roa::VrpJsonMetadata metadata;
  absl::StatusOr<roa::VrpSet> set = roa::ParseVrpJson(body, &metadata);
  if (!set.ok()) {
    validators_ = {};
    return absl::InvalidArgumentError(absl::StrCat(fetched->url, ": ", set.status().message()));
  }
  validators_ = fetched->validators;
  std::string revision = fetched->url;
  if (!validators_.etag.empty()) absl::StrAppend(&revision, " ETag ", validators_.etag);
  return Snapshot(std::move(*set), metadata, revision, start);
}

VrpSnapshot JsonVrpSource::Snapshot(roa::VrpSet set, const roa::VrpJsonMetadata& metadata,
                                    const std::string& revision, absl::Time start) const {
  VrpSnapshot snapshot;
  snapshot.set = std::make_shared<const roa::VrpSet>(std::move(set));
  snapshot.revision = revision;
  if (metadata.generated) {
    snapshot.generated = absl::FromUnixSeconds(*metadata.generated);
    absl::Duration age = absl::Now() - snapshot.generated;
    if (age > options_.max_age) {
      snapshot.warning =
          absl::StrCat(options_.location, " was generated ",
                       absl::FormatDuration(absl::Trunc(age, absl::Seconds(1))),
                       " ago (metadata.generated ", *metadata.generated,
                       "), longer than --json-max-age ", absl::FormatDuration(options_.max_age));
    }
  }
  snapshot.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return snapshot;
}

}  // namespace rtr42::sources
