// Parse(): tokens of a BIRD 1.6 / 2 / 3 configuration -> Config.
//
// Filters, functions and their expressions are parsed fully; protocol and
// template bodies are scanned for import/export clauses (at any depth, so
// channel blocks and BIRD 1.6's channel-less protocols both work); any other
// top-level statement is skipped by its braces and semicolon. Errors name the
// file, line and column; nesting is bounded, so no input can crash it.
#ifndef RTR42_LINT_PARSER_H_
#define RTR42_LINT_PARSER_H_

#include "absl/status/statusor.h"
#include "lint/ast.h"
#include "lint/token.h"

namespace rtr42::lint {

absl::StatusOr<Config> Parse(const TokenStream& tokens);

}  // namespace rtr42::lint

#endif  // RTR42_LINT_PARSER_H_
