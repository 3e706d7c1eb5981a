// Args: the command-line conventions of the rtr42 tools.
//
//   tool --name VALUE --name=VALUE --switch [positional...]
//
// Options are declared first (with help text), then Parse() fills them in.
// An unknown option, a missing value or a bad number is an error that names
// the option. Options declared repeatable collect every occurrence.
//
// A bound option (Bind*) writes its value straight into a variable, usually
// a field of a configuration struct: the variable's value when it is bound
// is the default, shown by --help, so a default is written once, where the
// field is declared.
#ifndef RTR42_BASE_ARGS_H_
#define RTR42_BASE_ARGS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rtr42 {

class Args {
 public:
  Args(std::string program, std::string summary);

  // Declares an option taking a value; `value_name` is shown in the help.
  void AddOption(const std::string& name, const std::string& value_name, const std::string& help,
                 bool repeatable = false);
  // Declares a switch (no value).
  void AddSwitch(const std::string& name, const std::string& help);

  // Bound options; `*target` must outlive Parse(). `default_text` replaces
  // the default shown by --help (for a default computed later).
  template <typename Int>
  void BindInt(const std::string& name, const std::string& value_name, const std::string& help,
               Int* target, int64_t min, int64_t max, const std::string& default_text = "");
  void BindDouble(const std::string& name, const std::string& value_name, const std::string& help,
                  double* target, double min, double max);
  // An empty `*target` shows no default.
  void BindString(const std::string& name, const std::string& value_name, const std::string& help,
                  std::string* target);
  // Repeatable; every occurrence is appended.
  void BindList(const std::string& name, const std::string& value_name, const std::string& help,
                std::vector<std::string>* target);

  absl::Status Parse(int argc, char** argv);
  // What every tool does first: Parse(); on an error print "program: error"
  // to stderr and return 2; on --help print Help() to stdout and return 0; a
  // positional argument is an error unless `positional_allowed`. nullopt:
  // go on.
  std::optional<int> ParseCommandLine(int argc, char** argv, bool positional_allowed = false);

  // Gives option `name` one value (a switch: ""), as if it were on the
  // command line: a configuration file's options (base/config_file.h).
  absl::Status Set(const std::string& name, const std::string& value);
  bool IsKnown(const std::string& name) const;
  bool IsSwitch(const std::string& name) const;
  bool IsRepeatable(const std::string& name) const;

  bool Has(const std::string& name) const;
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> GetAll(const std::string& name) const;
  absl::StatusOr<int64_t> GetInt(const std::string& name, int64_t fallback, int64_t min,
                                 int64_t max) const;
  absl::StatusOr<double> GetDouble(const std::string& name, double fallback, double min,
                                   double max) const;
  const std::vector<std::string>& positional() const { return positional_; }

  std::string Help() const;

 private:
  struct Spec {
    std::string value_name;  // empty: a switch
    std::string help;
    bool repeatable = false;
    // Bound options: stores one given value.
    std::function<absl::Status(const std::string& value)> store;
  };
  void Bind(const std::string& name, const std::string& value_name, const std::string& help,
            const std::string& default_text, bool repeatable,
            std::function<absl::Status(const std::string&)> store);
  absl::Status Store(const std::string& name, const std::string& value);
  static absl::StatusOr<int64_t> ParseInt(const std::string& name, const std::string& text,
                                          int64_t min, int64_t max);
  std::string program_, summary_;
  std::vector<std::string> order_;
  std::map<std::string, Spec> specs_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

template <typename Int>
void Args::BindInt(const std::string& name, const std::string& value_name, const std::string& help,
                   Int* target, int64_t min, int64_t max, const std::string& default_text) {
  Bind(name, value_name, help, default_text.empty() ? std::to_string(*target) : default_text, false,
       [name, target, min, max](const std::string& text) -> absl::Status {
         absl::StatusOr<int64_t> v = ParseInt(name, text, min, max);
         if (!v.ok()) return v.status();
         *target = static_cast<Int>(*v);
         return absl::OkStatus();
       });
}

}  // namespace rtr42

#endif  // RTR42_BASE_ARGS_H_
