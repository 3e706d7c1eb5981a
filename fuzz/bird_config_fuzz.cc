// bird-rpki-lint's BIRD configuration tokenizer, parser and analyzer on any
// text.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "lint/analyzer.h"
#include "lint/parser.h"
#include "lint/token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rtr42::lint;
  std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<TokenStream> tokens = TokenizeText("bird.conf", text);
  if (!tokens.ok()) return 0;
  absl::StatusOr<Config> config = Parse(*tokens);
  if (!config.ok()) return 0;
  (void)Analyze(*config, *tokens);
  return 0;
}
