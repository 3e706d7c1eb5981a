#include "roa/rpsl.h"

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"

namespace rtr42::roa {
namespace {

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

absl::string_view Trim(absl::string_view s) { return absl::StripAsciiWhitespace(s); }

}  // namespace

std::vector<const RpslAttribute*> RpslObject::All(absl::string_view name) const {
  std::vector<const RpslAttribute*> out;
  for (const auto& a : attributes) {
    if (a.name == name) out.push_back(&a);
  }
  return out;
}

const RpslAttribute* RpslObject::First(absl::string_view name) const {
  for (const auto& a : attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

RpslObject ParseRpsl(absl::string_view text) {
  RpslObject object;
  int line_number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == absl::string_view::npos) end = text.size();
    absl::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    if (Trim(line).empty()) continue;
    char first = line.front();
    if (first == '%' || first == '#') continue;
    if (first == ' ' || first == '\t' || first == '+') {
      if (object.attributes.empty()) {
        object.bad_lines.push_back(line_number);
      } else {
        object.attributes.back().continuation.emplace_back(Trim(line.substr(1)));
      }
      continue;
    }
    size_t i = 0;
    while (i < line.size() && IsNameChar(line[i])) ++i;
    if (i == 0 || i >= line.size() || line[i] != ':') {
      object.bad_lines.push_back(line_number);
      continue;
    }
    RpslAttribute attribute;
    attribute.name = absl::AsciiStrToLower(std::string(line.substr(0, i)));
    attribute.value = std::string(Trim(line.substr(i + 1)));
    attribute.line = line_number;
    object.attributes.push_back(std::move(attribute));
  }
  return object;
}

std::string SingleToken(const RpslAttribute& attribute) {
  for (const auto& c : attribute.continuation) {
    if (!c.empty()) return "";
  }
  absl::string_view v = attribute.value;
  size_t hash = v.find('#');
  if (hash != absl::string_view::npos) v = v.substr(0, hash);
  v = Trim(v);
  for (char c : v) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) return "";
  }
  return std::string(v);
}

}  // namespace rtr42::roa
