#include "roa/vrp_format.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rtr42::roa {

absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(std::string(name));
  if (lower == "json") return OutputFormat::kJson;
  if (lower == "bird2") return OutputFormat::kBird2;
  if (lower == "bird1") return OutputFormat::kBird1;
  if (lower == "csv") return OutputFormat::kCsv;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown format '", name, "' (json, bird2, bird1, csv)"));
}

bool ParseAsn(absl::string_view text, uint32_t* asn) {
  if (text.size() >= 2 && absl::EqualsIgnoreCase(text.substr(0, 2), "as")) text.remove_prefix(2);
  if (text.empty() || text.size() > 10 ||
      text.find_first_not_of("0123456789") != absl::string_view::npos) {
    return false;
  }
  uint64_t v = 0;
  if (!absl::SimpleAtoi(text, &v) || v > 0xffffffffULL) return false;
  *asn = static_cast<uint32_t>(v);
  return true;
}

std::string FormatVrps(const VrpSet& set, OutputFormat format, const FormatOptions& options) {
  std::string out;
  out.reserve(set.size() * 64 + 256);
  auto wanted = [&](const Vrp& v) {
    return !options.family || v.prefix.family() == *options.family;
  };
  size_t count = 0;
  for (const Vrp& v : set.vrps()) count += wanted(v);
  switch (format) {
    case OutputFormat::kJson: {
      absl::StrAppend(&out, "{\n  \"metadata\": {\n    \"counts\": ", count,
                      ",\n    \"generated\": ", options.generated,
                      ",\n    \"valid\": ", options.generated + options.valid_seconds);
      if (!options.commit.empty())
        absl::StrAppend(&out, ",\n    \"commit\": \"", options.commit, "\"");
      out += "\n  },\n  \"roas\": [";
      bool first = true;
      for (const Vrp& v : set.vrps()) {
        if (!wanted(v)) continue;
        absl::StrAppend(&out, first ? "\n" : ",\n", "    {\"prefix\": \"", v.prefix.ToString(),
                        "\", \"maxLength\": ", v.max_length, ", \"asn\": \"AS", v.asn, "\"}");
        first = false;
      }
      out += first ? "]" : "\n  ]";
      if (!set.aspas().empty()) {
        out += ",\n  \"aspas\": [";
        for (size_t i = 0; i < set.aspas().size(); ++i) {
          const Aspa& a = set.aspas()[i];
          absl::StrAppend(&out, i ? ",\n" : "\n", "    {\"customer_asid\": ", a.customer,
                          ", \"providers\": [");
          for (size_t k = 0; k < a.providers.size(); ++k)
            absl::StrAppend(&out, k ? ", " : "", a.providers[k]);
          out += "]}";
        }
        out += "\n  ]";
      }
      if (!set.router_keys().empty()) {
        // As rpki-client and StayRTR write them: SKI in hex, the key in base64.
        out += ",\n  \"bgpsec_keys\": [";
        for (size_t i = 0; i < set.router_keys().size(); ++i) {
          const RouterKey& k = set.router_keys()[i];
          absl::StrAppend(&out, i ? ",\n" : "\n", "    {\"asn\": ", k.asn, ", \"ski\": \"",
                          absl::BytesToHexString(k.ski), "\", \"pubkey\": \"",
                          absl::Base64Escape(k.spki), "\"}");
        }
        out += "\n  ]";
      }
      out += "\n}\n";
      break;
    }
    case OutputFormat::kBird2:
    case OutputFormat::kBird1: {
      const char* keyword = format == OutputFormat::kBird2 ? "route" : "roa";
      for (const Vrp& v : set.vrps()) {
        if (!wanted(v)) continue;
        absl::StrAppend(&out, keyword, " ", v.prefix.ToString(), " max ", v.max_length, " as ",
                        v.asn, ";\n");
      }
      break;
    }
    case OutputFormat::kCsv:
      out += "ASN,IP Prefix,Max Length,Trust Anchor\n";
      for (const Vrp& v : set.vrps()) {
        if (!wanted(v)) continue;
        absl::StrAppend(&out, "AS", v.asn, ",", v.prefix.ToString(), ",", v.max_length, ",dn42\n");
      }
      break;
  }
  return out;
}

namespace {

// Streams {"roas": [{...}, ...]} into a vector of VRPs.
class RoaSax : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::vector<Vrp> vrps;
  std::string error;
  std::optional<int64_t> generated;  // metadata.generated

  bool null() override { return Scalar(); }
  bool boolean(bool) override { return Scalar(); }
  bool number_integer(number_integer_t v) override { return Number(static_cast<int64_t>(v)); }
  bool number_unsigned(number_unsigned_t v) override {
    return Number(v > 0x7fffffffffffffffULL ? -1 : static_cast<int64_t>(v));
  }
  bool number_float(number_float_t, const string_t&) override {
    if (EntryIsScalar()) return ScalarEntry();
    if (InRoa() || InAspa()) return Fail("a number in a roa or aspa entry is not an integer");
    return true;
  }
  bool string(string_t& v) override {
    if (EntryIsScalar()) return ScalarEntry();
    if (InKey()) return KeyString(v);
    if (InAspa() || InProviders()) {
      uint32_t asn = 0;
      if (!ParseAsn(v, &asn)) return FailAspa(absl::StrCat("'", v, "' is not an AS number"));
      return AspaNumber(asn);
    }
    if (!InRoa()) return true;
    if (key_ == "prefix") {
      prefix_ = v;
    } else if (key_ == "asn") {
      if (!ParseAsn(v, &asn_)) return Fail(absl::StrCat("asn '", v, "' is not an AS number"));
      has_asn_ = true;
    } else if (key_ == "maxLength") {
      int64_t n = 0;
      if (!absl::SimpleAtoi(v, &n))
        return Fail(absl::StrCat("maxLength '", v, "' is not a number"));
      return Number(n);
    }
    return true;
  }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    ++depth_;
    if (depth_ == 3 && in_roas_) {
      prefix_.clear();
      max_length_ = -1;
      has_asn_ = false;
    }
    if (depth_ == 3 && in_aspas_) {
      aspa_ = Aspa{};
      has_customer_ = false;
    }
    if (depth_ == 3 && in_keys_) {
      router_key_ = RouterKey{};
      has_key_asn_ = false;
    }
    return true;
  }
  bool key(string_t& k) override {
    key_ = k;
    if (depth_ == 1) top_key_ = k;
    return true;
  }
  bool end_object() override {
    if (depth_ == 3 && in_roas_) {
      if (!FinishRoa()) return false;
      ++index_;
    }
    if (depth_ == 3 && in_keys_) {
      if (!has_key_asn_) return FailKey("no asn");
      if (router_key_.ski.size() != kSkiSize) return FailKey("no 20-byte ski");
      if (router_key_.spki.empty()) return FailKey("no pubkey");
      router_keys.push_back(std::move(router_key_));
      ++key_index_;
    }
    if (depth_ == 3 && in_aspas_) {
      if (!has_customer_) return FailAspa("no customer_asid");
      if (aspa_.providers.empty()) return FailAspa("no providers");
      aspas.push_back(std::move(aspa_));
      ++aspa_index_;
    }
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    if (depth_ == 3 && in_roas_) return Fail("is an array, not an object");
    if (depth_ == 3 && in_aspas_) return FailAspa("is an array, not an object");
    if (depth_ == 3 && in_keys_) return FailKey("is an array, not an object");
    if (depth_ == 2 && (top_key_ == "roas" || top_key_ == "aspas" || top_key_ == "bgpsec_keys")) {
      // A second array of a name would be merged silently: refused.
      if (!seen_arrays_.insert(top_key_).second) {
        error = absl::StrCat("the top-level object has \"", top_key_, "\" twice");
        return false;
      }
    }
    if (depth_ == 2 && top_key_ == "roas") in_roas_ = roas_present_ = true;
    if (depth_ == 2 && top_key_ == "aspas") in_aspas_ = true;
    if (depth_ == 2 && top_key_ == "bgpsec_keys") in_keys_ = true;
    if (depth_ == 4 && in_aspas_ && key_ == "providers") in_providers_ = true;
    return true;
  }
  bool end_array() override {
    if (depth_ == 2) in_roas_ = in_aspas_ = in_keys_ = false;
    if (depth_ == 4) in_providers_ = false;
    --depth_;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    error = absl::StrCat("JSON syntax error at byte ", position, ": ", e.what());
    return false;
  }
  bool roas_present() const { return roas_present_; }
  std::vector<Aspa> aspas;
  std::vector<RouterKey> router_keys;

 private:
  bool InRoa() const { return in_roas_ && depth_ == 3; }
  bool InAspa() const { return in_aspas_ && depth_ == 3 && key_ == "customer_asid"; }
  bool InProviders() const { return in_providers_ && depth_ == 4; }
  bool AspaNumber(int64_t v) {
    if (v < 0 || v > 0xffffffffLL)
      return FailAspa(absl::StrCat("AS number ", v, " is out of range"));
    if (InProviders()) {
      aspa_.providers.push_back(static_cast<uint32_t>(v));
    } else {
      aspa_.customer = static_cast<uint32_t>(v);
      has_customer_ = true;
    }
    return true;
  }
  bool FailAspa(std::string why) {
    error = absl::StrCat("aspas[", aspa_index_, "]: ", why);
    return false;
  }
  // bgpsec_keys (rpki-client, StayRTR): {"asn": N, "ski": "hex", "pubkey": "base64 DER"}.
  bool InKey() const { return in_keys_ && depth_ == 3; }
  bool KeyString(const std::string& v) {
    if (key_ == "asn") {
      if (!ParseAsn(v, &router_key_.asn)) return FailKey(absl::StrCat("asn '", v, "'"));
      has_key_asn_ = true;
    } else if (key_ == "ski") {
      std::string bytes = absl::HexStringToBytes(v);
      if (v.size() != 2 * kSkiSize || absl::BytesToHexString(bytes) != absl::AsciiStrToLower(v)) {
        return FailKey(absl::StrCat("ski '", v, "' is not 40 hex digits"));
      }
      router_key_.ski = std::move(bytes);
    } else if (key_ == "pubkey") {
      if (!absl::Base64Unescape(v, &router_key_.spki) || router_key_.spki.empty()) {
        return FailKey("pubkey is not base64");
      }
    }
    return true;
  }
  bool FailKey(std::string why) {
    error = absl::StrCat("bgpsec_keys[", key_index_, "]: ", why);
    return false;
  }
  // A scalar where an array's entries must be objects.
  bool EntryIsScalar() {
    if (depth_ != 2) return false;
    if (in_roas_) return true;
    return in_aspas_ || in_keys_;
  }
  bool ScalarEntry() {
    if (in_roas_) return Fail("is not an object");
    if (in_aspas_) return FailAspa("is not an object");
    return FailKey("is not an object");
  }
  bool Scalar() { return EntryIsScalar() ? ScalarEntry() : true; }
  bool Number(int64_t v) {
    if (EntryIsScalar()) return ScalarEntry();
    if (InKey() && key_ == "asn") {
      if (v < 0 || v > 0xffffffffLL) return FailKey(absl::StrCat("asn ", v, " is out of range"));
      router_key_.asn = static_cast<uint32_t>(v);
      has_key_asn_ = true;
      return true;
    }
    if (InKey()) return true;
    if (depth_ == 2 && top_key_ == "metadata" && key_ == "generated") generated = v;
    if (InAspa() || InProviders()) return AspaNumber(v);
    if (!InRoa()) return true;
    if (key_ == "maxLength") {
      if (v < 0 || v > 128) return Fail(absl::StrCat("maxLength ", v, " is out of range"));
      max_length_ = static_cast<int>(v);
    } else if (key_ == "asn") {
      if (v < 0 || v > 0xffffffffLL) return Fail(absl::StrCat("asn ", v, " is out of range"));
      asn_ = static_cast<uint32_t>(v);
      has_asn_ = true;
    }
    return true;
  }
  bool FinishRoa() {
    if (prefix_.empty()) return Fail("no prefix");
    absl::StatusOr<Prefix> p = Prefix::Parse(prefix_);
    if (!p.ok()) return Fail(std::string(p.status().message()));
    if (!has_asn_) return Fail("no asn");
    int ml = max_length_ < 0 ? p->length() : max_length_;
    if (ml < p->length() || ml > MaxLength(p->family())) {
      return Fail(absl::StrCat("maxLength ", ml, " does not fit ", prefix_));
    }
    vrps.push_back(Vrp{*p, static_cast<uint8_t>(ml), asn_});
    return true;
  }
  bool Fail(std::string why) {
    error = absl::StrCat("roas[", index_, "]: ", why);
    return false;
  }

  int depth_ = 0;
  std::set<std::string> seen_arrays_;
  bool in_roas_ = false;
  bool roas_present_ = false;
  bool in_aspas_ = false, in_providers_ = false, has_customer_ = false;
  Aspa aspa_;
  size_t aspa_index_ = 0;
  bool in_keys_ = false, has_key_asn_ = false;
  RouterKey router_key_;
  size_t key_index_ = 0;
  std::string top_key_, key_;
  size_t index_ = 0;
  std::string prefix_;
  int max_length_ = -1;
  uint32_t asn_ = 0;
  bool has_asn_ = false;
};

}  // namespace

// An input iterator over a FILE, reading 256 KiB at a time, so the parser
// never needs the whole file in memory.
class ChunkedFileIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  struct State {
    std::FILE* file = nullptr;
    std::vector<char> buffer = std::vector<char>(256 * 1024);
    size_t pos = 0, size = 0;
    bool eof = false;
    bool error = false;
    void Fill() {
      if (pos < size || eof) return;
      size = std::fread(buffer.data(), 1, buffer.size(), file);
      pos = 0;
      if (size == 0) {
        eof = true;
        error = std::ferror(file) != 0;
      }
    }
  };

  ChunkedFileIterator() = default;  // the end
  explicit ChunkedFileIterator(State* state) : state_(state) { state_->Fill(); }

  const char& operator*() const { return state_->buffer[state_->pos]; }
  ChunkedFileIterator& operator++() {
    ++state_->pos;
    state_->Fill();
    return *this;
  }
  ChunkedFileIterator operator++(int) {
    ChunkedFileIterator old = *this;
    ++*this;
    return old;
  }
  friend bool operator==(const ChunkedFileIterator& a, const ChunkedFileIterator& b) {
    return a.AtEnd() == b.AtEnd();
  }
  friend bool operator!=(const ChunkedFileIterator& a, const ChunkedFileIterator& b) {
    return !(a == b);
  }

 private:
  bool AtEnd() const { return state_ == nullptr || state_->eof; }
  State* state_ = nullptr;
};

absl::StatusOr<VrpSet> ReadVrpJsonFile(const std::string& path, VrpJsonMetadata* metadata) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return absl::NotFoundError(absl::StrCat(path, ": ", std::strerror(errno)));
  ChunkedFileIterator::State state;
  state.file = file;
  RoaSax sax;
  // About one entry per 60 bytes: reserve to avoid regrowing a large vector.
  if (std::fseek(file, 0, SEEK_END) == 0) {
    long size = std::ftell(file);
    if (size > 0) sax.vrps.reserve(static_cast<size_t>(size) / 60);
    std::fseek(file, 0, SEEK_SET);
  }
  bool ok = nlohmann::json::sax_parse(ChunkedFileIterator(&state), ChunkedFileIterator(), &sax);
  bool read_error = state.error;
  std::fclose(file);
  if (read_error) return absl::DataLossError(absl::StrCat(path, ": read error"));
  if (!ok || !sax.error.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", sax.error.empty() ? "invalid JSON" : sax.error));
  }
  if (!sax.roas_present())
    return absl::InvalidArgumentError(absl::StrCat(path, ": no \"roas\" array"));
  if (metadata) metadata->generated = sax.generated;
  return VrpSet(std::move(sax.vrps), std::move(sax.aspas), std::move(sax.router_keys));
}

absl::StatusOr<VrpSet> ParseVrpJson(absl::string_view text, VrpJsonMetadata* metadata) {
  RoaSax sax;
  bool ok = nlohmann::json::sax_parse(text.begin(), text.end(), &sax);
  if (!ok || !sax.error.empty()) {
    return absl::InvalidArgumentError(sax.error.empty() ? "invalid JSON" : sax.error);
  }
  if (!sax.roas_present()) return absl::InvalidArgumentError("no \"roas\" array");
  if (metadata) metadata->generated = sax.generated;
  return VrpSet(std::move(sax.vrps), std::move(sax.aspas), std::move(sax.router_keys));
}

}  // namespace rtr42::roa
