#include "lint/analyzer.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lint/interpreter.h"
#include "lint/rules.h"

namespace rtr42::lint {
namespace {

// Where the analysis starts: every filter (named, inline, `where`), and every
// function no filter reaches, run on its own.
struct Entry {
  std::string name;
  const Function* body;
  bool is_export = false;
  bool is_function = false;  // an unreached function: a path survives unless it rejects
  Location location;
};

void CollectCalls(const Expr& e, const Config& config, std::set<std::string>* reached);

void CollectCalls(const Block& block, const Config& config, std::set<std::string>* reached) {
  for (const StmtPtr& s : block) {
    if (!s) continue;
    if (s->expr) CollectCalls(*s->expr, config, reached);
    CollectCalls(s->body, config, reached);
    CollectCalls(s->else_body, config, reached);
    for (const CaseArm& arm : s->arms) {
      for (const ExprPtr& label : arm.labels) {
        if (label) CollectCalls(*label, config, reached);
      }
      CollectCalls(arm.body, config, reached);
    }
  }
}

void CollectCalls(const Expr& e, const Config& config, std::set<std::string>* reached) {
  if (e.kind == Expr::Kind::kCall) {
    auto f = config.functions.find(e.text);
    if (f != config.functions.end() && reached->insert(e.text).second) {
      CollectCalls(f->second->body, config, reached);
    }
  }
  if (e.kind == Expr::Kind::kName) {  // a define may call a function
    auto d = config.defines.find(e.text);
    if (d != config.defines.end() && reached->insert("define " + e.text).second) {
      CollectCalls(*d->second, config, reached);
    }
  }
  for (const ExprPtr& a : e.args) {
    if (a) CollectCalls(*a, config, reached);
  }
}

std::vector<Entry> EntryPoints(const Config& config) {
  std::vector<Entry> entries;
  std::set<std::string> named_export;
  for (const Clause& c : config.clauses) {
    if (c.kind == Clause::Kind::kFilterName && c.is_export) named_export.insert(c.filter_name);
  }
  for (const auto& [name, f] : config.filters) {
    entries.push_back({"filter " + name, f.get(), named_export.contains(name), false, f->location});
  }
  for (const Clause& c : config.clauses) {
    if (c.inline_filter) {
      entries.push_back(
          {c.inline_filter->name, c.inline_filter.get(), c.is_export, false, c.location});
    }
  }
  std::set<std::string> reached;
  for (const Entry& e : entries) CollectCalls(e.body->body, config, &reached);
  for (const auto& [name, f] : config.functions) {
    if (reached.contains(name)) continue;
    entries.push_back({"function " + name, f.get(), false, true, f->location});
    CollectCalls(f->body, config, &reached);  // what it calls is covered through it
  }
  return entries;
}

bool Survives(const Path& p, const Entry& entry) {
  return entry.is_function ? p.status != Path::Status::kRejected
                           : p.status == Path::Status::kAccepted;
}

// A tag is an attribute and a value, wherever it is written: a filter that
// adds the same community on every surviving path, in different places,
// says nothing about validation state.
struct TagStats {
  Mask with = 0, without = 0;
  bool any_without = false;
  bool unresolved = false;
  std::vector<TagWrite> sites;  // each place it is written on a surviving path
  std::vector<Note> reasons;
  std::set<std::string> reason_keys;
};

std::string TagKey(const TagWrite& w) { return absl::StrCat(w.attr, "|", w.repr); }

// One filter's tags, by attribute and value.
using TagTable = std::map<std::string, TagStats>;

TagTable TagsOf(const Paths& paths, const Entry& entry) {
  std::map<std::string, TagStats> tags;
  for (const Path& p : paths) {
    if (!Survives(p, entry)) continue;
    for (const std::vector<TagWrite>* writes : {&p.writes, &p.maybe}) {
      for (const TagWrite& w : *writes) {
        TagStats& t = tags[TagKey(w)];
        if (std::none_of(t.sites.begin(), t.sites.end(), [&](const TagWrite& x) {
              return x.site.ToString() == w.site.ToString();
            })) {
          t.sites.push_back(w);
        }
        t.with |= p.states;
        t.unresolved = t.unresolved || p.unresolved;
        for (const Note& n : p.reasons) {
          if (t.reason_keys.insert(n.location.ToString() + n.message).second)
            t.reasons.push_back(n);
        }
      }
    }
  }
  // Every tag's "without": the states of surviving paths that may lack it.
  for (auto& [tag_key, t] : tags) {
    const std::string& key = tag_key;  // (a lambda may not capture a binding in clang 14)
    for (const Path& p : paths) {
      if (!Survives(p, entry)) continue;
      bool has = std::any_of(p.writes.begin(), p.writes.end(),
                             [&](const TagWrite& w) { return TagKey(w) == key; });
      if (has) continue;
      t.without |= p.states;
      t.any_without = true;
    }
  }
  return tags;
}

// The rule a tag written at `write` breaks, and the message; empty if none.
std::pair<std::string, std::string> Judge(const TagStats& t, const TagWrite& write) {
  Mask all = t.with | t.without;
  bool separates = t.with != 0 && t.any_without && !(t.with == all && t.without == all);
  bool symbolic = write.value.symbolic();
  const bool community = IsCommunityAttribute(write.attr);
  if (IsRfc8097(write.value)) {
    return {"rfc8097-community",
            absl::StrCat(Describe(write.attr, write.value),
                         " is the RFC 8097 origin validation state community; it leaks the "
                         "validation state to iBGP neighbours (BIRD drops it on eBGP, as it is "
                         "non-transitive)")};
  }
  if (t.with == 0 || !(symbolic || separates || (t.unresolved && t.any_without))) return {};
  std::string rule = community ? "validation-state-community" : "validation-state-attribute";
  if (symbolic) {
    return {rule, absl::StrCat(Describe(write.attr, write.value),
                               " carries the RPKI validation state itself")};
  }
  return {rule, absl::StrCat(community ? Describe(write.attr, write.value)
                                       : absl::StrCat(write.attr, " = ", write.value.Repr()),
                             community ? " is added to routes" : " is set on routes",
                             " by RPKI validation state (tagged: ", States(t.with),
                             "; untagged: ", t.any_without ? States(t.without) : "none", ")")};
}

// Runs every entry; the export filters' removals are collected too.
std::vector<Paths> RunAll(Interpreter& interp, const std::vector<Entry>& entries,
                          std::vector<Removal>* export_removals) {
  std::vector<Paths> results;
  export_removals->clear();
  for (const Entry& entry : entries) {
    interp.removals.clear();
    results.push_back(interp.Run(*entry.body));
    if (entry.is_export) {
      export_removals->insert(export_removals->end(), interp.removals.begin(),
                              interp.removals.end());
    }
  }
  return results;
}

// Every entry's tags, from one run of all of them.
std::vector<TagTable> TablesOf(const std::vector<Entry>& entries,
                               const std::vector<Paths>& results) {
  std::vector<TagTable> tables;
  for (size_t e = 0; e < entries.size(); ++e) tables.push_back(TagsOf(results[e], entries[e]));
  return tables;
}

// The tags that hold validation state, as carriers for the next pass.
std::vector<Carrier> CarriersOf(const std::vector<Entry>& entries,
                                const std::vector<TagTable>& tables) {
  std::vector<Carrier> out;
  std::set<std::string> seen;
  for (size_t e = 0; e < entries.size(); ++e) {
    for (const auto& [key, t] : tables[e]) {
      for (const TagWrite& write : t.sites) {
        if (Judge(t, write).first.empty()) continue;
        if (!seen.insert(key).second) break;
        Mask without = t.any_without ? t.without : 0;
        out.push_back({write.attr, write.value, t.with, without, write.site, entries[e].name});
        break;
      }
    }
  }
  return out;
}

void Report(const Entry& entry, const TagTable& tags, const std::vector<Removal>& export_removals,
            Analysis* analysis) {
  for (const auto& [key, t] : tags) {
    for (const TagWrite& write : t.sites) {
      auto [rule, message] = Judge(t, write);
      if (rule.empty()) continue;
      Finding f;
      f.rule = rule;
      f.location = write.site;
      f.message = message;
      for (const Location& o : write.value.origins)
        f.notes.push_back({o, "validation state is read here"});
      for (const Note& n : t.reasons) f.notes.push_back(n);
      for (const TagWrite& other : t.sites) {
        if (other.site.ToString() != write.site.ToString())
          f.notes.push_back({other.site, "the same tag is written here too"});
      }
      f.notes.push_back(
          {entry.location,
           entry.is_function
               ? absl::StrCat("in ", entry.name,
                              ", which no filter in these files calls: analysed on its own")
               : absl::StrCat("reached from ", entry.name)});
      for (const Removal& r : export_removals) {
        if (r.attr == write.attr && Matches(r.pattern, write.value)) {
          f.notes.push_back({r.site, "removed again on export here: a mitigation, not a fix"});
          break;
        }
      }
      analysis->findings.push_back(std::move(f));
    }
  }
}

// One finding per rule and place; suppressions applied; sorted.
void Finish(const TokenStream& tokens, Analysis* analysis) {
  std::vector<Finding> unique;
  std::set<std::string> seen;
  for (Finding& f : analysis->findings) {
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
      ++analysis->suppressed;
      continue;
    }
    unique.push_back(std::move(f));
  }
  std::sort(unique.begin(), unique.end(), [](const Finding& a, const Finding& b) {
    return std::make_tuple(*a.location.file, a.location.line, a.location.column, a.rule) <
           std::make_tuple(*b.location.file, b.location.line, b.location.column, b.rule);
  });
  analysis->findings = std::move(unique);
}

}  // namespace

Analysis Analyze(const Config& config, const TokenStream& tokens) {
  Analysis analysis;
  Interpreter interp(config, &analysis);
  std::vector<Entry> entries = EntryPoints(config);
  std::vector<Removal> export_removals;
  std::vector<TagTable> tables = TablesOf(entries, RunAll(interp, entries, &export_removals));
  // Tags that hold validation state make conditions that test them
  // conditions on the state, in any filter a route passes through next: run
  // again with them known, until no new one appears (a chain of copies is
  // short; the passes are bounded).
  for (int pass = 0; pass < kMaxCarrierPasses; ++pass) {
    std::vector<Carrier> carriers = CarriersOf(entries, tables);
    if (carriers.size() == interp.carrier_count()) break;
    interp.SetCarriers(std::move(carriers));
    tables = TablesOf(entries, RunAll(interp, entries, &export_removals));
  }
  for (size_t e = 0; e < entries.size(); ++e) {
    Report(entries[e], tables[e], export_removals, &analysis);
  }
  Finish(tokens, &analysis);
  return analysis;
}

}  // namespace rtr42::lint
