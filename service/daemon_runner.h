// What every pprl daemon does after reading its config: serve its services over mutual TLS
// with message-size limits and the standard health service, write the chosen port to the
// port file, log in JSON, and stop cleanly on SIGTERM or SIGINT (in-flight calls get 10 s).
// Call BlockTerminationSignals() at the top of main, before any thread starts.
#ifndef PPRL_SERVICE_DAEMON_RUNNER_H_
#define PPRL_SERVICE_DAEMON_RUNNER_H_

#include <grpcpp/grpcpp.h>

#include <initializer_list>
#include <string>
#include <utility>

#include "service/daemon_config.h"

namespace pprl {

// Returns the process exit code: 0 after a clean stop, 1 when it cannot listen, 2 for bad
// TLS files. `fields` are extra fields for the "listening" log line.
int RunDaemon(const DaemonConfig& config, std::initializer_list<grpc::Service*> services,
              std::initializer_list<std::pair<std::string_view, std::string>> fields = {});

}  // namespace pprl

#endif  // PPRL_SERVICE_DAEMON_RUNNER_H_
