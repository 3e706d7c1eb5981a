#include "http/prometheus_text.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rtr42::http {
namespace {

std::string Escape(absl::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// Integers as integers (counters of bytes exceed a double's %g precision);
// other values with enough digits for timestamps and durations.
std::string Number(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  return absl::StrFormat("%.6f", v);
}

}  // namespace

void PrometheusText::Gauge(absl::string_view name, absl::string_view help, double value) {
  Declare(name, kGauge, help);
  Sample(name, {}, value);
}

void PrometheusText::Counter(absl::string_view name, absl::string_view help, double value) {
  Declare(name, kCounter, help);
  Sample(name, {}, value);
}

void PrometheusText::Declare(absl::string_view name, Type type, absl::string_view help) {
  absl::StrAppend(&text_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ",
                  type == kGauge ? "gauge" : "counter", "\n");
}

void PrometheusText::Sample(absl::string_view name, Labels labels, double value) {
  absl::StrAppend(&text_, name);
  if (labels.size() > 0) {
    text_ += '{';
    bool first = true;
    for (const auto& [key, label_value] : labels) {
      absl::StrAppend(&text_, first ? "" : ",", key, "=\"", Escape(label_value), "\"");
      first = false;
    }
    text_ += '}';
  }
  absl::StrAppend(&text_, " ", Number(value), "\n");
}

}  // namespace rtr42::http
