// TCP-MD5 (RFC 2385) keys, with Linux's TCP_MD5SIG socket options.
//
// On a listening socket a key is set per peer prefix (TCP_MD5SIG_EXT with a
// prefix length); connections from those peers then need the key, others are
// unaffected. A client sets the key for the one address it connects to.
#ifndef RTR42_RTR_TCP_MD5_H_
#define RTR42_RTR_TCP_MD5_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "roa/prefix.h"
#include "rtr/asio.h"

namespace rtr42::rtr {

struct Md5Peer {
  roa::Prefix prefix;
  std::string key;  // 1..80 bytes
};

// "PREFIX=KEYFILE": the key is the file's contents without a trailing newline.
absl::StatusOr<Md5Peer> ParseMd5Peer(const std::string& argument);

// Keys for the peers of the listening socket's family (`v6`: an IPv6 socket).
absl::Status SetListenerKeys(int fd, bool v6, const std::vector<Md5Peer>& peers);

// The key for connecting to `remote`.
absl::Status SetConnectKey(int fd, const boost::asio::ip::tcp::endpoint& remote,
                           const std::string& key);

}  // namespace rtr42::rtr

#endif  // RTR42_RTR_TCP_MD5_H_
