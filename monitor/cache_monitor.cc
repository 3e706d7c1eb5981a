#include "monitor/cache_monitor.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "http/prometheus_text.h"

namespace rtr42::monitor {

CacheMonitor::CacheMonitor(rtr::RtrClient::Options a, rtr::RtrClient::Options b) {
  followers_[0] = std::make_unique<rtr::CacheFollower>(std::move(a));
  followers_[1] = std::make_unique<rtr::CacheFollower>(std::move(b));
  for (auto& f : followers_) {
    f->SetOnChange([this] {
      absl::MutexLock lock(&mutex_);
      changed_ = true;
    });
  }
}

CacheMonitor::~CacheMonitor() {
  for (auto& f : followers_) f->SetOnChange({});
}

CacheMonitor::Picture CacheMonitor::Compare(absl::Duration timeout) {
  {
    absl::MutexLock lock(&mutex_);
    mutex_.AwaitWithTimeout(absl::Condition(&changed_), timeout);
    changed_ = false;
  }
  std::array<rtr::CacheFollower::State, 2> states{followers_[0]->state(), followers_[1]->state()};
  Picture p;
  for (int i = 0; i < 2; ++i) {
    Picture::Side& side = p.caches[i];
    const rtr::CacheFollower::State& s = states[i];
    side.address = followers_[i]->address();
    side.up = s.set && s.error.empty();
    side.has_set = s.set != nullptr;
    side.serial = s.serial;
    side.session_id = s.session_id;
    side.vrps = s.set ? s.set->size() : 0;
    side.error = s.error;
  }
  if (states[0].set && states[1].set) {
    // Diff(B, A): announced = only in A, withdrawn = only in B.
    roa::VrpDiff diff = roa::Diff(*states[1].set, *states[0].set);
    p.caches[0].only_vrps = diff.announced.size();
    p.caches[1].only_vrps = diff.withdrawn.size();
    p.caches[0].only_aspas = diff.aspa_announced.size();
    p.caches[1].only_aspas = diff.aspa_withdrawn.size();
    p.differ = !diff.announced.empty() || !diff.withdrawn.empty() || !diff.aspa_announced.empty() ||
               !diff.aspa_withdrawn.empty();
  }
  absl::MutexLock lock(&mutex_);
  p.comparisons = picture_.comparisons + 1;
  if (p.differ) {
    p.differ_since = picture_.differ ? picture_.differ_since : absl::Now();
  }
  Log(p, picture_);
  picture_ = p;
  return p;
}

CacheMonitor::Picture CacheMonitor::picture() const {
  absl::MutexLock lock(&mutex_);
  return picture_;
}

void CacheMonitor::Log(const Picture& p, const Picture& before) {
  const Picture::Side &a = p.caches[0], &b = p.caches[1];
  std::string text;
  for (const Picture::Side* s : {&a, &b}) {
    if (!s->error.empty()) absl::StrAppend(&text, s->address, " down: ", s->error, "; ");
  }
  if (!a.has_set || !b.has_set) {
    absl::StrAppend(&text, "waiting for ", !a.has_set ? a.address : b.address);
  } else if (p.differ) {
    absl::StrAppendFormat(
        &text,
        "%s (serial %d) and %s (serial %d) differ: %d VRPs and %d ASPAs only in %s, %d VRPs and "
        "%d ASPAs only in %s, since %s",
        a.address, a.serial, b.address, b.serial, a.only_vrps, a.only_aspas, a.address, b.only_vrps,
        b.only_aspas, b.address,
        absl::FormatTime("%H:%M:%E3S", p.differ_since, absl::UTCTimeZone()));
  } else {
    absl::StrAppendFormat(&text, "%s (serial %d) and %s (serial %d) agree: %d VRPs", a.address,
                          a.serial, b.address, b.serial, a.vrps);
    if (before.differ) {
      absl::StrAppend(&text, ", after differing for ",
                      absl::FormatDuration(
                          absl::Trunc(absl::Now() - before.differ_since, absl::Milliseconds(1))));
    }
  }
  if (text == logged_) return;
  logged_ = text;
  if (p.differ || !a.error.empty() || !b.error.empty()) {
    RTR42_LOG_WARNING("%s", text);
  } else {
    RTR42_LOG_INFO("%s", text);
  }
}

std::string CacheMonitor::Metrics(absl::Time now) const {
  Picture p = picture();
  http::PrometheusText out;
  using T = http::PrometheusText;
  auto each = [&](const char* name, T::Type type, const char* help, auto value) {
    out.Declare(name, type, help);
    for (const Picture::Side& s : p.caches) out.Sample(name, {{"cache", s.address}}, value(s));
  };
  using S = const Picture::Side&;
  each("rtr42_monitor_up", T::kGauge, "1 while the cache is in session.",
       [](S s) { return s.up ? 1 : 0; });
  each("rtr42_monitor_serial", T::kGauge, "The cache's serial.", [](S s) { return s.serial; });
  each("rtr42_monitor_session_id", T::kGauge, "The cache's session id.",
       [](S s) { return s.session_id; });
  each("rtr42_monitor_vrps", T::kGauge, "VRPs the cache holds.", [](S s) { return s.vrps; });
  each("rtr42_monitor_only_vrps", T::kGauge, "VRPs only this cache holds (not the other).",
       [](S s) { return s.only_vrps; });
  each("rtr42_monitor_only_aspas", T::kGauge, "ASPA records only this cache holds.",
       [](S s) { return s.only_aspas; });
  out.Gauge("rtr42_monitor_differ", "1 while the two caches hold different sets.", p.differ);
  out.Gauge("rtr42_monitor_differ_seconds",
            "How long the two caches have differed (0: they agree).",
            p.differ ? absl::ToDoubleSeconds(now - p.differ_since) : 0);
  out.Counter("rtr42_monitor_comparisons_total", "Comparisons made.", p.comparisons);
  return out.text();
}

}  // namespace rtr42::monitor
