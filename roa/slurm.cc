#include "roa/slurm.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "roa/vrp_format.h"

namespace rtr42::roa {
namespace {

using nlohmann::json;

absl::Status Bad(const std::string& path, const std::string& where, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", where, ": ", what));
}

// The named array member of `object`, or an error.
absl::StatusOr<const json*> Array(const json& object, const char* name, const std::string& path,
                                  const std::string& where) {
  auto it = object.find(name);
  if (it == object.end()) return Bad(path, where, absl::StrCat("missing \"", name, "\""));
  if (!it->is_array()) return Bad(path, where, absl::StrCat("\"", name, "\" is not an array"));
  return &*it;
}

absl::StatusOr<uint32_t> Asn(const json& v, const std::string& path, const std::string& where) {
  if (v.is_number_unsigned() && v.get<uint64_t>() <= 0xffffffffULL)
    return static_cast<uint32_t>(v.get<uint64_t>());
  uint32_t asn = 0;
  if (v.is_string() && ParseAsn(v.get<std::string>(), &asn)) return asn;
  return Bad(path, where, "\"asn\" is not an AS number");
}

absl::StatusOr<Prefix> PrefixOf(const json& v, const std::string& path, const std::string& where) {
  if (!v.is_string()) return Bad(path, where, "\"prefix\" is not a string");
  absl::StatusOr<Prefix> p = Prefix::Parse(v.get<std::string>());
  if (!p.ok()) return Bad(path, where, std::string(p.status().message()));
  return *p;
}

// RFC 8416 sections 3.3.2 and 3.4.2: base64 (RFC 4648 section 5, the URL
// alphabet) without the trailing '='; the standard alphabet and padding are
// accepted too.
absl::StatusOr<std::string> Base64Member(const json& v, const char* name, const std::string& path,
                                         const std::string& where) {
  std::string out;
  if (v.is_string() &&
      (absl::WebSafeBase64Unescape(v.get<std::string>(), &out) ||
       absl::Base64Unescape(v.get<std::string>(), &out)) &&
      !out.empty()) {
    return out;
  }
  return Bad(path, where, absl::StrCat("\"", name, "\" is not base64"));
}

// The names ASPA members go by: version 2 of draft-ietf-sidrops-aspa-slurm
// (and NLnet Labs' rpki-rs 0.19) writes customerAsn and providerAsns; its
// earlier form, which SLURM version 1 files carry, customerAsid and
// providerSet (or providers). Either is read in either version.
constexpr const char* kCustomerNames[] = {"customerAsn", "customerAsid"};
constexpr const char* kProviderNames[] = {"providerAsns", "providerSet", "providers"};

template <size_t N>
const char* Member(const json& object, const char* const (&names)[N]) {
  for (const char* name : names) {
    if (object.contains(name)) return name;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<Slurm> ParseSlurm(absl::string_view text, const std::string& path) {
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Bad(path, "file", "not valid JSON");
  if (!doc.is_object()) return Bad(path, "file", "not a JSON object");
  auto version = doc.find("slurmVersion");
  if (version == doc.end() || !version->is_number_integer() ||
      (version->get<int64_t>() != 1 && version->get<int64_t>() != 2)) {
    return Bad(path, "slurmVersion", "must be 1 (RFC 8416) or 2 (draft-ietf-sidrops-aspa-slurm)");
  }
  Slurm slurm;
  for (const char* section : {"validationOutputFilters", "locallyAddedAssertions"}) {
    auto it = doc.find(section);
    if (it == doc.end() || !it->is_object()) return Bad(path, section, "missing or not an object");
  }
  const json& filters = doc["validationOutputFilters"];
  const json& assertions = doc["locallyAddedAssertions"];

  absl::StatusOr<const json*> prefix_filters =
      Array(filters, "prefixFilters", path, "validationOutputFilters");
  if (!prefix_filters.ok()) return prefix_filters.status();
  size_t i = 0;
  for (const json& f : **prefix_filters) {
    std::string where = absl::StrCat("prefixFilters[", i++, "]");
    if (!f.is_object()) return Bad(path, where, "not an object");
    Slurm::PrefixFilter filter;
    if (f.contains("prefix")) {
      absl::StatusOr<Prefix> p = PrefixOf(f["prefix"], path, where);
      if (!p.ok()) return p.status();
      filter.prefix = *p;
    }
    if (f.contains("asn")) {
      absl::StatusOr<uint32_t> asn = Asn(f["asn"], path, where);
      if (!asn.ok()) return asn.status();
      filter.asn = *asn;
    }
    if (!filter.prefix && !filter.asn) return Bad(path, where, "needs \"prefix\", \"asn\" or both");
    slurm.prefix_filters.push_back(filter);
  }
  absl::StatusOr<const json*> bgpsec_filters =
      Array(filters, "bgpsecFilters", path, "validationOutputFilters");
  if (!bgpsec_filters.ok()) return bgpsec_filters.status();
  i = 0;
  for (const json& f : **bgpsec_filters) {
    std::string where = absl::StrCat("bgpsecFilters[", i++, "]");
    if (!f.is_object()) return Bad(path, where, "not an object");
    Slurm::BgpsecFilter filter;
    if (f.contains("asn")) {
      absl::StatusOr<uint32_t> asn = Asn(f["asn"], path, where);
      if (!asn.ok()) return asn.status();
      filter.asn = *asn;
    }
    if (f.contains("SKI")) {
      absl::StatusOr<std::string> ski = Base64Member(f["SKI"], "SKI", path, where);
      if (!ski.ok()) return ski.status();
      filter.ski = *ski;
    }
    if (!filter.asn && !filter.ski) return Bad(path, where, "needs \"asn\", \"SKI\" or both");
    slurm.bgpsec_filters.push_back(std::move(filter));
  }

  absl::StatusOr<const json*> prefix_assertions =
      Array(assertions, "prefixAssertions", path, "locallyAddedAssertions");
  if (!prefix_assertions.ok()) return prefix_assertions.status();
  i = 0;
  for (const json& a : **prefix_assertions) {
    std::string where = absl::StrCat("prefixAssertions[", i++, "]");
    if (!a.is_object()) return Bad(path, where, "not an object");
    if (!a.contains("prefix") || !a.contains("asn"))
      return Bad(path, where, "needs \"prefix\" and \"asn\"");
    absl::StatusOr<Prefix> p = PrefixOf(a["prefix"], path, where);
    if (!p.ok()) return p.status();
    absl::StatusOr<uint32_t> asn = Asn(a["asn"], path, where);
    if (!asn.ok()) return asn.status();
    int max_length = p->length();
    if (a.contains("maxPrefixLength")) {
      const json& m = a["maxPrefixLength"];
      if (!m.is_number_unsigned() || m.get<uint64_t>() < p->length() ||
          m.get<uint64_t>() > MaxLength(p->family())) {
        return Bad(
            path, where,
            "\"maxPrefixLength\" must be between the prefix length and the family's maximum");
      }
      max_length = static_cast<int>(m.get<uint64_t>());
    }
    slurm.prefix_assertions.push_back(Vrp{*p, static_cast<uint8_t>(max_length), *asn});
  }
  absl::StatusOr<const json*> bgpsec_assertions =
      Array(assertions, "bgpsecAssertions", path, "locallyAddedAssertions");
  if (!bgpsec_assertions.ok()) return bgpsec_assertions.status();
  i = 0;
  for (const json& a : **bgpsec_assertions) {
    std::string where = absl::StrCat("bgpsecAssertions[", i++, "]");
    if (!a.is_object() || !a.contains("asn") || !a.contains("SKI") ||
        !a.contains("routerPublicKey")) {
      return Bad(path, where, "needs \"asn\", \"SKI\" and \"routerPublicKey\"");
    }
    RouterKey key;
    absl::StatusOr<uint32_t> asn = Asn(a["asn"], path, where);
    if (!asn.ok()) return asn.status();
    key.asn = *asn;
    absl::StatusOr<std::string> ski = Base64Member(a["SKI"], "SKI", path, where);
    if (!ski.ok()) return ski.status();
    if (ski->size() != kSkiSize) {
      return Bad(path, where, "\"SKI\" must be 20 bytes (RFC 6487 section 4.8.2)");
    }
    key.ski = *ski;
    absl::StatusOr<std::string> spki =
        Base64Member(a["routerPublicKey"], "routerPublicKey", path, where);
    if (!spki.ok()) return spki.status();
    key.spki = *spki;
    slurm.bgpsec_assertions.push_back(std::move(key));
  }

  // Optional ASPA members.
  if (auto it = filters.find("aspaFilters"); it != filters.end()) {
    if (!it->is_array())
      return Bad(path, "validationOutputFilters", "\"aspaFilters\" is not an array");
    i = 0;
    for (const json& f : *it) {
      std::string where = absl::StrCat("aspaFilters[", i++, "]");
      const char* customer = f.is_object() ? Member(f, kCustomerNames) : nullptr;
      if (customer == nullptr) return Bad(path, where, "needs \"customerAsn\"");
      if (Member(f, kProviderNames) != nullptr) {
        return Bad(path, where, "filters of single providers are not supported; give the customer");
      }
      absl::StatusOr<uint32_t> asn = Asn(f[customer], path, where);
      if (!asn.ok()) return asn.status();
      slurm.aspa_filters.push_back(*asn);
    }
  }
  if (auto it = assertions.find("aspaAssertions"); it != assertions.end()) {
    if (!it->is_array())
      return Bad(path, "locallyAddedAssertions", "\"aspaAssertions\" is not an array");
    i = 0;
    for (const json& a : *it) {
      std::string where = absl::StrCat("aspaAssertions[", i++, "]");
      const char* customer_key = a.is_object() ? Member(a, kCustomerNames) : nullptr;
      if (customer_key == nullptr) return Bad(path, where, "needs \"customerAsn\"");
      const char* list = Member(a, kProviderNames);
      if (list == nullptr || !a[list].is_array() || a[list].empty()) {
        return Bad(path, where, "needs a non-empty \"providerAsns\"");
      }
      Aspa aspa;
      absl::StatusOr<uint32_t> customer = Asn(a[customer_key], path, where);
      if (!customer.ok()) return customer.status();
      aspa.customer = *customer;
      for (const json& p : a[list]) {
        absl::StatusOr<uint32_t> provider = Asn(p, path, where);
        if (!provider.ok()) return provider.status();
        aspa.providers.push_back(*provider);
      }
      slurm.aspa_assertions.push_back(std::move(aspa));
    }
  }
  return slurm;
}

VrpSet ApplySlurm(const VrpSet& set, const Slurm& slurm) {
  std::vector<Vrp> out;
  out.reserve(set.size() + slurm.prefix_assertions.size());
  for (const Vrp& v : set.vrps()) {
    bool filtered = false;
    for (const Slurm::PrefixFilter& f : slurm.prefix_filters) {
      if ((!f.prefix || f.prefix->Contains(v.prefix)) && (!f.asn || *f.asn == v.asn)) {
        filtered = true;
        break;
      }
    }
    if (!filtered) out.push_back(v);
  }
  out.insert(out.end(), slurm.prefix_assertions.begin(), slurm.prefix_assertions.end());
  std::vector<Aspa> aspas;
  for (const Aspa& a : set.aspas()) {
    bool filtered = std::find(slurm.aspa_filters.begin(), slurm.aspa_filters.end(), a.customer) !=
                    slurm.aspa_filters.end();
    bool asserted = std::any_of(slurm.aspa_assertions.begin(), slurm.aspa_assertions.end(),
                                [&](const Aspa& x) { return x.customer == a.customer; });
    if (!filtered && !asserted) aspas.push_back(a);
  }
  aspas.insert(aspas.end(), slurm.aspa_assertions.begin(), slurm.aspa_assertions.end());
  std::vector<RouterKey> keys;
  for (const RouterKey& k : set.router_keys()) {
    bool filtered = std::any_of(slurm.bgpsec_filters.begin(), slurm.bgpsec_filters.end(),
                                [&](const Slurm::BgpsecFilter& f) {
                                  return (!f.asn || *f.asn == k.asn) && (!f.ski || *f.ski == k.ski);
                                });
    if (!filtered) keys.push_back(k);
  }
  keys.insert(keys.end(), slurm.bgpsec_assertions.begin(), slurm.bgpsec_assertions.end());
  return VrpSet(std::move(out), std::move(aspas), std::move(keys));
}

}  // namespace rtr42::roa
