// RenderMetrics: the daemon's /metrics body, in Prometheus text format: the
// set served, the source, SLURM, the withdraw guard, the state file, and the
// RTR server's sessions (by version and by transport), limits and PDUs, and
// the SSH server's handshakes and refusals, and the webhook's calls. Each metric is named once,
// here; the README's /metrics row lists them for operators.
#ifndef RTR42_DAEMON_METRICS_H_
#define RTR42_DAEMON_METRICS_H_

#include <string>

#include "daemon/source_loop.h"
#include "daemon/webhook.h"
#include "rtr/server.h"
#include "ssh/server.h"

namespace rtr42::daemon {

// `ssh` may be null (no --ssh-listen), `webhook` too (no
// --webhook-secret-file).
std::string RenderMetrics(const SourceLoop& loop, const rtr::Server& server,
                          const ssh::SshServer* ssh = nullptr, const Webhook* webhook = nullptr);

}  // namespace rtr42::daemon

#endif  // RTR42_DAEMON_METRICS_H_
