#include "roa/compiler.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "roa/rpsl.h"

namespace rtr42::roa {
namespace {

std::string FamilyKey(Family family) { return family == Family::kIpv4 ? "route" : "route6"; }

std::string BaseName(absl::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == absl::string_view::npos ? path : path.substr(slash + 1));
}

// "AS<n>" in any case with n < 2^32.
bool ParseOrigin(absl::string_view text, uint32_t* asn) {
  if (text.size() < 3 || text.size() > 12 || !absl::EqualsIgnoreCase(text.substr(0, 2), "as")) {
    return false;
  }
  absl::string_view digits = text.substr(2);
  if (digits.find_first_not_of("0123456789") != absl::string_view::npos) return false;
  uint64_t value = 0;
  if (!absl::SimpleAtoi(digits, &value) || value > 0xffffffffULL) return false;
  *asn = static_cast<uint32_t>(value);
  return true;
}

// A decimal number; huge values saturate (they are clamped later anyway).
bool ParseMaxLength(absl::string_view text, uint64_t* out) {
  if (text.empty() || text.find_first_not_of("0123456789") != absl::string_view::npos) return false;
  uint64_t value = 0;
  for (char c : text) {
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > 1000000) value = 1000000;
  }
  *out = value;
  return true;
}

}  // namespace

const char* DiagnosticKindName(Diagnostic::Kind kind) {
  return kind == Diagnostic::Kind::kDropped ? "dropped" : "adjusted";
}

std::string Diagnostic::ToString() const {
  return absl::StrCat(file, ":", line, ": ", DiagnosticKindName(kind), ": ", object, ": ", reason);
}

bool IsRouteObjectPath(absl::string_view path, Family* family) {
  for (auto [dir, fam] : {std::pair{absl::string_view(kRouteDir), Family::kIpv4},
                          std::pair{absl::string_view(kRoute6Dir), Family::kIpv6}}) {
    if (absl::StartsWith(path, dir) && path.size() > dir.size() &&
        path.find('/', dir.size()) == absl::string_view::npos) {
      *family = fam;
      return true;
    }
  }
  return false;
}

RouteObject ParseRouteObject(std::string path, Family family, absl::string_view text) {
  RouteObject object;
  object.path = std::move(path);
  object.name = BaseName(object.path);
  auto note = [&](Diagnostic::Kind kind, int line, std::string reason) {
    object.diagnostics.push_back({object.path, line, object.name, kind, std::move(reason)});
  };
  if (text.size() > kMaxRouteObjectBytes) {
    note(Diagnostic::Kind::kDropped, 0,
         absl::StrCat("the object is ", text.size(), " bytes, more than the ",
                      kMaxRouteObjectBytes >> 10, " KiB a route object may have"));
    return object;
  }
  RpslObject rpsl = ParseRpsl(text);
  for (size_t i = 0; i < rpsl.bad_lines.size(); ++i) {
    if (i == kMaxLineDiagnostics) {
      note(Diagnostic::Kind::kAdjusted, rpsl.bad_lines[i],
           absl::StrCat("and ", rpsl.bad_lines.size() - i,
                        " more lines that are not attributes were ignored"));
      break;
    }
    note(Diagnostic::Kind::kAdjusted, rpsl.bad_lines[i],
         "line is not an attribute and was ignored");
  }

  const std::string key = FamilyKey(family);
  const std::string other_key = FamilyKey(family == Family::kIpv4 ? Family::kIpv6 : Family::kIpv4);
  std::vector<const RpslAttribute*> keys = rpsl.All(key);
  if (keys.empty()) {
    if (const RpslAttribute* wrong = rpsl.First(other_key)) {
      object.name = wrong->value;
      note(Diagnostic::Kind::kDropped, wrong->line,
           absl::StrCat(other_key, ": object in ", family == Family::kIpv4 ? kRouteDir : kRoute6Dir,
                        " (expected ", key, ":)"));
    } else {
      note(Diagnostic::Kind::kDropped, 0, absl::StrCat("no ", key, ": attribute"));
    }
    return object;
  }
  const RpslAttribute& key_attr = *keys.front();
  object.name = key_attr.value;
  object.prefix_line = key_attr.line;
  if (keys.size() > 1) {
    note(Diagnostic::Kind::kDropped, keys[1]->line,
         absl::StrCat("more than one ", key, ": attribute"));
    return object;
  }
  std::string prefix_text = SingleToken(key_attr);
  absl::StatusOr<Prefix> prefix = Prefix::Parse(prefix_text);
  if (prefix_text.empty() || !prefix.ok()) {
    note(Diagnostic::Kind::kDropped, key_attr.line,
         absl::StrCat(key, ": value is not a prefix",
                      prefix_text.empty() ? std::string(" (not a single value)")
                                          : absl::StrCat(": ", prefix.status().message())));
    return object;
  }
  if (prefix->family() != family) {
    note(Diagnostic::Kind::kDropped, key_attr.line,
         absl::StrCat(prefix_text, " is not an ", family == Family::kIpv4 ? "IPv4" : "IPv6",
                      " prefix"));
    return object;
  }
  object.prefix = *prefix;

  std::vector<const RpslAttribute*> origins = rpsl.All("origin");
  for (const RpslAttribute* origin : origins) {
    uint32_t asn = 0;
    std::string token = SingleToken(*origin);
    if (!ParseOrigin(token, &asn)) {
      note(Diagnostic::Kind::kDropped, origin->line,
           absl::StrCat("origin '", origin->value, "' is not AS<n> with n < 2^32; no VRP for it"));
      continue;
    }
    if (std::find(object.origins.begin(), object.origins.end(), asn) != object.origins.end()) {
      note(Diagnostic::Kind::kAdjusted, origin->line,
           absl::StrCat("origin AS", asn, " repeated; one VRP for it"));
      continue;
    }
    object.origins.push_back(asn);
  }
  if (object.origins.empty()) {
    note(Diagnostic::Kind::kDropped, origins.empty() ? key_attr.line : origins.front()->line,
         origins.empty() ? "no origin: attribute" : "no valid origin: attribute");
    return object;
  }

  std::vector<const RpslAttribute*> max_lengths = rpsl.All("max-length");
  if (!max_lengths.empty()) {
    const RpslAttribute& ml = *max_lengths.front();
    object.max_length_line = ml.line;
    uint64_t value = 0;
    if (ParseMaxLength(SingleToken(ml), &value)) {
      object.has_max_length = true;
      object.max_length = value;
    } else {
      note(Diagnostic::Kind::kAdjusted, ml.line,
           absl::StrCat("max-length '", ml.value, "' is not a number; ignored"));
    }
    for (size_t i = 1; i < max_lengths.size(); ++i) {
      note(Diagnostic::Kind::kAdjusted, max_lengths[i]->line,
           "more than one max-length: attribute; only the first is used");
    }
  }
  object.usable = true;
  return object;
}

void CompileRouteObject(const RouteObject& object, const FilterPolicy* policy,
                        std::vector<Vrp>* vrps, std::vector<Diagnostic>* diagnostics) {
  if (!object.usable) return;
  const Prefix& prefix = object.prefix;
  auto note = [&](Diagnostic::Kind kind, int line, std::string reason) {
    diagnostics->push_back({object.path, line, object.name, kind, std::move(reason)});
  };
  uint64_t max_length;
  if (policy == nullptr) {
    max_length = object.has_max_length
                     ? std::min<uint64_t>(std::max<uint64_t>(object.max_length, prefix.length()),
                                          MaxLength(prefix.family()))
                     : prefix.length();
  } else {
    const FilterRule* rule = policy->Match(prefix);
    std::string rule_name =
        rule ? absl::StrCat("rule ", rule->number, " (", policy->path(), ":", rule->line, ")") : "";
    if (rule == nullptr) {
      note(Diagnostic::Kind::kDropped, object.prefix_line,
           absl::StrCat("no rule in ", policy->path(), " covers ", prefix.ToString()));
      return;
    }
    if (!rule->permit) {
      note(Diagnostic::Kind::kDropped, object.prefix_line,
           absl::StrCat(prefix.ToString(), " is denied by ", rule_name));
      return;
    }
    if (prefix.length() > rule->max_length) {
      note(Diagnostic::Kind::kDropped, object.prefix_line,
           absl::StrCat("prefix length ", prefix.length(), " is longer than MaxLen ",
                        rule->max_length, " of ", rule_name));
      return;
    }
    if (!object.has_max_length) {
      max_length = rule->max_length;
    } else if (object.max_length < prefix.length()) {
      max_length = prefix.length();
      note(Diagnostic::Kind::kAdjusted, object.max_length_line,
           absl::StrCat("max-length ", object.max_length, " is below the prefix length; raised to ",
                        prefix.length()));
    } else if (object.max_length > rule->max_length) {
      max_length = rule->max_length;
      note(Diagnostic::Kind::kAdjusted, object.max_length_line,
           absl::StrCat("max-length ", object.max_length, " is above MaxLen ", rule->max_length,
                        " of ", rule_name, "; clamped to ", rule->max_length));
    } else {
      max_length = object.max_length;
    }
  }
  for (uint32_t asn : object.origins) {
    vrps->push_back(Vrp{prefix, static_cast<uint8_t>(max_length), asn});
  }
}

const FilterPolicy* RegistryCompiler::PolicyFor(Family family) const {
  const std::optional<FilterPolicy>& p = family == Family::kIpv4 ? filter4_ : filter6_;
  return p ? &*p : nullptr;
}

void RegistryCompiler::Recompile(Entry& entry) const {
  entry.vrps.clear();
  entry.policy_diagnostics.clear();
  CompileRouteObject(entry.object, PolicyFor(entry.object.prefix.family()), &entry.vrps,
                     &entry.policy_diagnostics);
}

absl::Status RegistryCompiler::Apply(const RegistryDelta& delta) {
  return ApplyChanges(delta, nullptr);
}

absl::Status RegistryCompiler::Apply(RegistryDelta&& delta) { return ApplyChanges(delta, &delta); }

absl::Status RegistryCompiler::ApplyChanges(const RegistryDelta& delta, RegistryDelta* consume) {
  // Parse filter files first: if one is broken, nothing changes.
  std::optional<std::optional<FilterPolicy>> new_filter4, new_filter6;
  for (const FileChange& change : delta.changes) {
    bool v4 = change.path == kFilterPath;
    if (!v4 && change.path != kFilter6Path) continue;
    std::optional<FilterPolicy> policy;
    if (change.content) {
      absl::StatusOr<FilterPolicy> parsed =
          FilterPolicy::Parse(*change.content, v4 ? Family::kIpv4 : Family::kIpv6, change.path);
      if (!parsed.ok()) return parsed.status();
      policy = std::move(*parsed);
    }
    (v4 ? new_filter4 : new_filter6) = std::move(policy);
  }

  bool recompile4 = false, recompile6 = false;
  if (delta.full) {
    objects_.clear();
    vrp_counts_.clear();
    filter4_ = new_filter4 ? std::move(*new_filter4) : std::nullopt;
    filter6_ = new_filter6 ? std::move(*new_filter6) : std::nullopt;
  } else {
    if (new_filter4) {
      filter4_ = std::move(*new_filter4);
      recompile4 = true;
    }
    if (new_filter6) {
      filter6_ = std::move(*new_filter6);
      recompile6 = true;
    }
  }

  last_parsed_ = 0;
  for (size_t i = 0; i < delta.changes.size(); ++i) {
    const FileChange& change = delta.changes[i];
    Family family;
    if (!IsRouteObjectPath(change.path, &family)) continue;
    bool recompile_all = recompile4 || recompile6;
    auto old = objects_.find(change.path);
    if (old != objects_.end() && !recompile_all) Count(old->second.vrps, -1);
    if (!change.content) {
      if (old != objects_.end()) objects_.erase(old);
      continue;
    }
    Entry entry;
    entry.object = ParseRouteObject(change.path, family, *change.content);
    if (consume) consume->changes[i].content.emplace();  // frees the text
    ++last_parsed_;
    if (!recompile_all) {
      Recompile(entry);
      Count(entry.vrps, +1);
    }
    if (old != objects_.end()) {
      old->second = std::move(entry);
    } else {
      objects_.emplace(change.path, std::move(entry));
    }
  }
  if (recompile4 || recompile6) {
    vrp_counts_.clear();
    for (auto& [path, entry] : objects_) {
      Recompile(entry);
      Count(entry.vrps, +1);
    }
  }
  revision_ = delta.revision;
  return absl::OkStatus();
}

void RegistryCompiler::Count(const std::vector<Vrp>& vrps, int sign) {
  for (const Vrp& v : vrps) {
    if (sign > 0) {
      ++vrp_counts_[v];
    } else if (auto it = vrp_counts_.find(v); it != vrp_counts_.end() && --it->second == 0) {
      vrp_counts_.erase(it);
    }
  }
}

VrpSet RegistryCompiler::BuildSet() const {
  std::vector<Vrp> all;
  all.reserve(vrp_counts_.size());
  for (const auto& [vrp, count] : vrp_counts_) all.push_back(vrp);
  return VrpSet(std::move(all));  // already sorted and unique
}

std::vector<Diagnostic> RegistryCompiler::Diagnostics() const {
  std::vector<Diagnostic> out;
  for (const auto& [path, entry] : objects_) {
    out.insert(out.end(), entry.object.diagnostics.begin(), entry.object.diagnostics.end());
    out.insert(out.end(), entry.policy_diagnostics.begin(), entry.policy_diagnostics.end());
  }
  std::sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.file, a.line) < std::tie(b.file, b.line);
  });
  return out;
}

std::vector<VrpOrigin> RegistryCompiler::Origins() const {
  std::vector<VrpOrigin> out;
  for (const auto& [path, entry] : objects_) {
    if (entry.vrps.empty()) continue;
    const RouteObject& object = entry.object;
    const FilterPolicy* policy = PolicyFor(object.prefix.family());
    const FilterRule* rule = policy ? policy->Match(object.prefix) : nullptr;
    for (const Vrp& vrp : entry.vrps) {
      VrpOrigin o;
      o.vrp = vrp;
      o.file = object.path;
      o.line = object.prefix_line;
      o.object = object.name;
      o.max_length_line = object.has_max_length ? object.max_length_line : 0;
      if (object.has_max_length && object.max_length == vrp.max_length) {
        o.max_length_from = VrpOrigin::MaxLengthFrom::kAttribute;
      } else if (rule != nullptr && vrp.max_length == rule->max_length &&
                 (!object.has_max_length || object.max_length > rule->max_length)) {
        o.max_length_from = VrpOrigin::MaxLengthFrom::kRule;
      } else {
        o.max_length_from = VrpOrigin::MaxLengthFrom::kPrefix;
      }
      if (rule != nullptr) {
        o.rule_number = rule->number;
        o.rule_file = policy->path();
        o.rule_line = rule->line;
        o.rule_text = absl::StrCat(rule->permit ? "permit " : "deny ", rule->network.ToString(),
                                   " ", rule->min_length, "-", rule->max_length);
      }
      out.push_back(std::move(o));
    }
  }
  std::sort(out.begin(), out.end(), [](const VrpOrigin& a, const VrpOrigin& b) {
    return std::tie(a.vrp, a.file) < std::tie(b.vrp, b.file);
  });
  return out;
}

}  // namespace rtr42::roa
