#include "rtr/tcp_md5.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/file_util.h"

namespace rtr42::rtr {
namespace {

absl::Status SetKey(int fd, const roa::Prefix& prefix, uint8_t prefix_length,
                    const std::string& key) {
  if (key.empty() || key.size() > TCP_MD5SIG_MAXKEYLEN) {
    return absl::InvalidArgumentError(
        absl::StrCat("a TCP-MD5 key has 1 to ", TCP_MD5SIG_MAXKEYLEN, " bytes"));
  }
  struct tcp_md5sig md5;
  std::memset(&md5, 0, sizeof(md5));
  if (prefix.is_ipv4()) {
    auto* a = reinterpret_cast<sockaddr_in*>(&md5.tcpm_addr);
    a->sin_family = AF_INET;
    std::memcpy(&a->sin_addr, prefix.bytes().data(), 4);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&md5.tcpm_addr);
    a->sin6_family = AF_INET6;
    std::memcpy(&a->sin6_addr, prefix.bytes().data(), 16);
  }
  md5.tcpm_flags = TCP_MD5SIG_FLAG_PREFIX;
  md5.tcpm_prefixlen = prefix_length;
  md5.tcpm_keylen = static_cast<uint16_t>(key.size());
  std::memcpy(md5.tcpm_key, key.data(), key.size());
  if (::setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG_EXT, &md5, sizeof(md5)) != 0) {
    return absl::UnavailableError(
        absl::StrCat("TCP-MD5 key for ", prefix.ToString(), ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Md5Peer> ParseMd5Peer(const std::string& argument) {
  size_t eq = argument.find('=');
  if (eq == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", argument, "' is not PREFIX=KEYFILE"));
  }
  absl::StatusOr<roa::Prefix> prefix = roa::Prefix::Parse(argument.substr(0, eq));
  if (!prefix.ok()) return prefix.status();
  absl::StatusOr<std::string> key = ReadFile(argument.substr(eq + 1));
  if (!key.ok()) return key.status();
  while (!key->empty() && (key->back() == '\n' || key->back() == '\r')) key->pop_back();
  if (key->empty() || key->size() > TCP_MD5SIG_MAXKEYLEN) {
    return absl::InvalidArgumentError(absl::StrCat(
        argument.substr(eq + 1), ": a TCP-MD5 key has 1 to ", TCP_MD5SIG_MAXKEYLEN, " bytes"));
  }
  return Md5Peer{*prefix, *key};
}

absl::Status SetListenerKeys(int fd, bool v6, const std::vector<Md5Peer>& peers) {
  for (const Md5Peer& peer : peers) {
    if (peer.prefix.is_ipv4() == v6) continue;
    if (absl::Status s = SetKey(fd, peer.prefix, peer.prefix.length(), peer.key); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status SetConnectKey(int fd, const boost::asio::ip::tcp::endpoint& remote,
                           const std::string& key) {
  absl::StatusOr<roa::Prefix> p =
      remote.address().is_v4()
          ? roa::Prefix::FromBytes(roa::Family::kIpv4, remote.address().to_v4().to_bytes().data(),
                                   32)
          : roa::Prefix::FromBytes(roa::Family::kIpv6, remote.address().to_v6().to_bytes().data(),
                                   128);
  if (!p.ok()) return p.status();
  return SetKey(fd, *p, p->length(), key);
}

}  // namespace rtr42::rtr
