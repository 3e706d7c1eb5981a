#include "lint/analyzer.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lint/interpreter.h"
#include "lint/rules.h"

namespace rtr42::lint {

Analysis Analyze(const Config& config, const TokenStream& tokens) {
  Analysis analysis;
  Interpreter interp(config, &analysis);

  struct Entry {
    std::string name;
    const Function* body;
    bool is_export;
    Location location;
  };
  std::vector<Entry> entries;
  std::set<std::string> named_export, named_any;
  for (const Clause& c : config.clauses) {
    if (c.kind == Clause::Kind::kFilterName) {
      named_any.insert(c.filter_name);
      if (c.is_export) named_export.insert(c.filter_name);
    }
  }
  for (const auto& [name, f] : config.filters) {
    entries.push_back({"filter " + name, f.get(), named_export.contains(name), f->location});
  }
  for (const Clause& c : config.clauses) {
    if (c.inline_filter)
      entries.push_back({c.inline_filter->name, c.inline_filter.get(), c.is_export, c.location});
  }

  struct TagStats {
    Mask with = 0;
    bool unresolved = false;
    bool written_anywhere = false;
    TagWrite write;
    std::vector<Note> reasons;
    std::set<std::string> reason_keys;
    std::string entry;
    Location entry_location;
  };
  std::vector<Removal> export_removals;

  // First run every filter: the export filters' removals are needed to judge
  // the tags of the others.
  std::vector<Paths> results;
  for (const Entry& entry : entries) {
    interp.removals.clear();
    results.push_back(interp.Run(*entry.body));
    if (entry.is_export) {
      export_removals.insert(export_removals.end(), interp.removals.begin(), interp.removals.end());
    }
  }
  for (size_t e = 0; e < entries.size(); ++e) {
    const Entry& entry = entries[e];
    const Paths& paths = results[e];
    std::map<std::string, TagStats> tags;  // this filter's tags, by site + attr + value
    for (const Path& p : paths) {
      bool survives = p.status == Path::Status::kAccepted;
      for (const TagWrite& w : p.writes) {
        std::string key =
            absl::StrCat(entry.name, "|", w.site.ToString(), "|", w.attr, "|", w.repr);
        TagStats& t = tags[key];
        t.write = w;
        t.entry = entry.name;
        t.entry_location = entry.location;
        t.written_anywhere = true;
        if (!survives) continue;
        t.with |= p.states;
        t.unresolved = t.unresolved || p.unresolved;
        for (const Note& n : p.reasons) {
          if (t.reason_keys.insert(n.location.ToString() + n.message).second)
            t.reasons.push_back(n);
        }
      }
    }
    // Every tag's "without": surviving states not covered by paths with it.
    for (auto& [key, t] : tags) {
      Mask without = 0;
      bool any_without = false;
      for (const Path& p : paths) {
        if (p.status != Path::Status::kAccepted) continue;
        bool has = std::binary_search(p.writes.begin(), p.writes.end(), t.write);
        if (!has) {
          without |= p.states;
          any_without = true;
        }
      }
      Mask with = t.with;
      Mask all = with | without;
      bool separates = with != 0 && any_without && !(with == all && without == all);
      bool symbolic = t.write.value.symbolic();
      bool rfc8097 = IsRfc8097(t.write.value);
      const bool community = IsCommunityAttribute(t.write.attr);
      std::string rule;
      std::string message;
      if (rfc8097) {
        rule = "rfc8097-community";
        message =
            absl::StrCat(Describe(t.write.attr, t.write.value),
                         " is the RFC 8097 origin validation state community; it leaks the "
                         "validation state to iBGP neighbours (BIRD drops it on eBGP, as it is "
                         "non-transitive)");
      } else if (with != 0 && (symbolic || separates || (t.unresolved && any_without))) {
        rule = community ? "validation-state-community" : "validation-state-attribute";
        if (symbolic) {
          message = absl::StrCat(Describe(t.write.attr, t.write.value),
                                 " carries the RPKI validation state itself");
        } else {
          message =
              absl::StrCat(community ? Describe(t.write.attr, t.write.value)
                                     : absl::StrCat(t.write.attr, " = ", t.write.value.Repr()),
                           community ? " is added to routes" : " is set on routes",
                           " by RPKI validation state (tagged: ", States(with),
                           "; untagged: ", any_without ? States(without) : "none", ")");
        }
      } else {
        continue;
      }
      Finding f;
      f.rule = rule;
      f.location = t.write.site;
      f.message = message;
      for (const Location& o : t.write.value.origins)
        f.notes.push_back({o, "validation state is read here"});
      for (const Note& n : t.reasons) f.notes.push_back(n);
      f.notes.push_back({t.entry_location, absl::StrCat("reached from ", t.entry)});
      for (const Removal& r : export_removals) {
        if (r.attr == t.write.attr && Matches(r.pattern, t.write.value)) {
          f.notes.push_back({r.site, "removed again on export here: a mitigation, not a fix"});
          break;
        }
      }
      f.message += " [" + t.entry + "]";
      analysis.findings.push_back(std::move(f));
    }
  }

  // One finding per rule and place; apply suppressions.
  std::vector<Finding> unique;
  std::set<std::string> seen;
  for (Finding& f : analysis.findings) {
    std::string key = absl::StrCat(f.rule, "|", f.location.ToString());
    if (!seen.insert(key).second) continue;
    const std::string& file = f.location.file ? *f.location.file : "";
    bool suppressed = false;
    if (auto it = tokens.suppressions.find(file); it != tokens.suppressions.end()) {
      for (int line : {f.location.line, f.location.line - 1}) {
        auto l = it->second.find(line);
        if (l != it->second.end() && (l->second.contains("*") || l->second.contains(f.rule)))
          suppressed = true;
      }
    }
    if (suppressed) {
      ++analysis.suppressed;
      continue;
    }
    // Drop the "[entry]" suffix from the message: the note says it.
    size_t bracket = f.message.rfind(" [");
    if (bracket != std::string::npos) f.message.resize(bracket);
    unique.push_back(std::move(f));
  }
  std::sort(unique.begin(), unique.end(), [](const Finding& a, const Finding& b) {
    return std::make_tuple(*a.location.file, a.location.line, a.location.column, a.rule) <
           std::make_tuple(*b.location.file, b.location.line, b.location.column, b.rule);
  });
  analysis.findings = std::move(unique);
  return analysis;
}

}  // namespace rtr42::lint
