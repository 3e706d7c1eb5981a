// EmbeddedFile: a file compiled into a binary (see cmake/Embed.cmake).
#ifndef RTR42_BASE_EMBEDDED_H_
#define RTR42_BASE_EMBEDDED_H_

#include <cstddef>
#include <string_view>

namespace rtr42 {

struct EmbeddedFile {
  std::string_view path;  // relative to the embedded folder
  std::string_view data;
};

}  // namespace rtr42

#endif  // RTR42_BASE_EMBEDDED_H_
