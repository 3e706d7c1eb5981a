#include "base/args.h"

#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rtr42 {

Args::Args(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {
  AddSwitch("help", "show this help");
}

void Args::AddOption(const std::string& name, const std::string& value_name,
                     const std::string& help, bool repeatable) {
  order_.push_back(name);
  specs_[name] = Spec{value_name, help, repeatable};
}

void Args::AddSwitch(const std::string& name, const std::string& help) {
  order_.push_back(name);
  specs_[name] = Spec{"", help, false};
}

void Args::Bind(const std::string& name, const std::string& value_name, const std::string& help,
                const std::string& default_text, bool repeatable,
                std::function<absl::Status(const std::string&)> store) {
  std::string text = help;
  if (!default_text.empty()) absl::StrAppend(&text, " (default ", default_text, ")");
  order_.push_back(name);
  specs_[name] = Spec{value_name, text, repeatable, std::move(store)};
}

void Args::BindDouble(const std::string& name, const std::string& value_name,
                      const std::string& help, double* target, double min, double max) {
  Bind(name, value_name, help, absl::StrCat(*target), false,
       [this, name, target, min, max](const std::string&) -> absl::Status {
         absl::StatusOr<double> v = GetDouble(name, *target, min, max);
         if (!v.ok()) return v.status();
         *target = *v;
         return absl::OkStatus();
       });
}

void Args::BindString(const std::string& name, const std::string& value_name,
                      const std::string& help, std::string* target) {
  Bind(name, value_name, help, *target, false, [target](const std::string& value) {
    *target = value;
    return absl::OkStatus();
  });
}

void Args::BindList(const std::string& name, const std::string& value_name, const std::string& help,
                    std::vector<std::string>* target) {
  Bind(name, value_name, help, "", true, [target](const std::string& value) {
    target->push_back(value);
    return absl::OkStatus();
  });
}

absl::Status Args::Parse(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.size() < 3 || arg.rfind("--", 0) != 0) {
      if (arg == "-h") {
        values_["help"].push_back("");
        continue;
      }
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    bool inline_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    auto spec = specs_.find(name);
    if (spec == specs_.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option --", name, " (see --help)"));
    }
    if (spec->second.value_name.empty()) {
      if (inline_value)
        return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
    } else if (!inline_value) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value (", spec->second.value_name, ")"));
      }
      value = argv[++i];
    }
    if (absl::Status stored = Store(name, value); !stored.ok()) return stored;
  }
  return absl::OkStatus();
}

absl::Status Args::Store(const std::string& name, const std::string& value) {
  auto spec = specs_.find(name);
  auto& slot = values_[name];
  if (!spec->second.repeatable && !slot.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " given more than once"));
  }
  slot.push_back(value);
  if (spec->second.store) return spec->second.store(value);
  return absl::OkStatus();
}

absl::Status Args::Set(const std::string& name, const std::string& value) {
  auto spec = specs_.find(name);
  if (spec == specs_.end())
    return absl::InvalidArgumentError(absl::StrCat("unknown option ", name));
  return Store(name, value);
}

bool Args::IsSwitch(const std::string& name) const {
  auto spec = specs_.find(name);
  return spec != specs_.end() && spec->second.value_name.empty();
}

bool Args::IsKnown(const std::string& name) const { return specs_.contains(name); }

bool Args::IsRepeatable(const std::string& name) const {
  auto spec = specs_.find(name);
  return spec != specs_.end() && spec->second.repeatable;
}

bool Args::Has(const std::string& name) const { return values_.contains(name); }

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second.back();
}

std::vector<std::string> Args::GetAll(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::optional<int> Args::ParseCommandLine(int argc, char** argv, bool positional_allowed) {
  absl::Status s = Parse(argc, argv);
  if (s.ok() && Has("help")) {
    std::cout << Help();
    return 0;
  }
  if (s.ok() && !positional_allowed && !positional_.empty()) {
    s = absl::InvalidArgumentError(absl::StrCat("unexpected argument '", positional_[0], "'"));
  }
  if (!s.ok()) {
    std::cerr << program_ << ": " << s.message() << "\n";
    return 2;
  }
  return std::nullopt;
}

absl::StatusOr<int64_t> Args::GetInt(const std::string& name, int64_t fallback, int64_t min,
                                     int64_t max) const {
  if (!Has(name)) return fallback;
  return ParseInt(name, Get(name), min, max);
}

absl::StatusOr<int64_t> Args::ParseInt(const std::string& name, const std::string& text,
                                       int64_t min, int64_t max) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(text, &v)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " '", text, "' is not a number"));
  }
  if (v < min || v > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " ", v, " is out of range [", min, ", ", max, "]"));
  }
  return v;
}

absl::StatusOr<double> Args::GetDouble(const std::string& name, double fallback, double min,
                                       double max) const {
  if (!Has(name)) return fallback;
  double v = 0;
  std::string text = Get(name);
  if (!absl::SimpleAtod(text, &v)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " '", text, "' is not a number"));
  }
  if (!(v >= min && v <= max)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " ", text, " is out of range [", min, ", ", max, "]"));
  }
  return v;
}

std::string Args::Help() const {
  std::string out = absl::StrCat("usage: ", program_, " [options]\n", summary_, "\n\noptions:\n");
  for (const auto& name : order_) {
    const Spec& s = specs_.at(name);
    std::string left = absl::StrCat("  --", name, s.value_name.empty() ? "" : " " + s.value_name);
    if (left.size() < 30) left.resize(30, ' ');
    absl::StrAppend(&out, left, " ", s.help, s.repeatable ? " (repeatable)" : "", "\n");
  }
  return out;
}

}  // namespace rtr42
