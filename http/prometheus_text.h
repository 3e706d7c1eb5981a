// PrometheusText: builds a /metrics body in the Prometheus text exposition
// format (version 0.0.4). Each metric's name, type and help are written once,
// by the call that declares it; its samples follow.
//
//   PrometheusText out;
//   out.Gauge("rtr42_serial", "Current RTR serial number.", serial);
//   out.Declare("rtr42_vrps", PrometheusText::kGauge, "VRPs served, by family.");
//   out.Sample("rtr42_vrps", {{"family", "ipv4"}}, v4);
//
// Label values are escaped as the format requires (backslash, quote, newline).
#ifndef RTR42_HTTP_PROMETHEUS_TEXT_H_
#define RTR42_HTTP_PROMETHEUS_TEXT_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace rtr42::http {

class PrometheusText {
 public:
  enum Type { kGauge, kCounter };
  using Labels = std::initializer_list<std::pair<absl::string_view, absl::string_view>>;

  // A metric with one unlabelled sample.
  void Gauge(absl::string_view name, absl::string_view help, double value);
  void Counter(absl::string_view name, absl::string_view help, double value);

  // A metric whose samples (usually labelled) follow with Sample().
  void Declare(absl::string_view name, Type type, absl::string_view help);
  void Sample(absl::string_view name, Labels labels, double value);

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace rtr42::http

#endif  // RTR42_HTTP_PROMETHEUS_TEXT_H_
