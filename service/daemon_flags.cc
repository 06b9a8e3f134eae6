#include "service/daemon_flags.h"

#include <string_view>
#include <utility>
#include <vector>

#include "core/text.h"

namespace pprl {

DaemonFlags::DaemonFlags(CLI::App& app, std::set<DaemonFlag> extra) : app_(app), extra_(extra) {
  app.add_option("--config", config_path_, "TOML config file");
  app.add_option("--listen", flags_.listen, "address to listen on (port 0: any free port)");
  app.add_option("--tls-ca", flags_.tls.ca, "CA certificate (PEM)");
  app.add_option("--tls-cert", flags_.tls.cert, "this daemon's certificate (PEM)");
  app.add_option("--tls-key", flags_.tls.key, "its private key (PEM)");
  app.add_option("--port-file", flags_.port_file, "write the port listened on to this file");
  app.add_option("--tls-crl", flags_.tls.crl,
                 "the CA's certificate revocation list (PEM), checked at every handshake");
  app.add_option("--max-call-seconds", max_call_seconds_,
                 "end a streaming call without an earlier deadline after this long (600)")
      ->check(CLI::Range(1, 86400));
  app.add_option("--calls-per-minute", calls_per_minute_,
                 "uploads or submissions per caller certificate a minute (120)")
      ->check(CLI::PositiveNumber);
  app.add_option("--concurrent-per-caller", concurrent_per_caller_,
                 "uploads or submissions at once per caller certificate (4)")
      ->check(CLI::Range(1, 1000));
  if (extra.contains(DaemonFlag::kDataDir)) {
    app.add_option("--data-dir", flags_.data_dir, "data directory");
    app.add_option("--min-free-mb", min_free_mb_,
                   "refuse writes that would leave less free on the data disk (256)")
        ->check(CLI::NonNegativeNumber);
  }
  if (extra.contains(DaemonFlag::kSpoolDir)) {
    app.add_option("--spool-dir", flags_.data_dir, "private directory for exports in transit");
  }
  if (extra.contains(DaemonFlag::kSite)) app.add_option("--site", flags_.site, "site name");
  if (extra.contains(DaemonFlag::kSiteKind))
    app.add_option("--site-kind", flags_.site_kind, "police or veiligheidshuis");
  if (extra.contains(DaemonFlag::kKeyFile))
    app.add_option("--key-file", flags_.key_file, "the shared HMAC key (mode 0600)");
  if (extra.contains(DaemonFlag::kAuditKey)) {
    app.add_option("--audit-signing-key", flags_.audit_signing_key,
                   "the audit log's Ed25519 signing key, PEM, mode 0600 (default: audit-log.key "
                   "beside the TLS key)");
  }
  if (extra.contains(DaemonFlag::kLinker)) {
    app.add_option("--linker", flags_.linker_address, "linker address host:port");
    app.add_option("--tls-client-cert", flags_.client_cert,
                   "the client certificate for calls to the linker (PEM, clientAuth)");
    app.add_option("--tls-client-key", flags_.client_key, "its private key (PEM)");
  }
  if (extra.contains(DaemonFlag::kOfficers))
    app.add_option("--officer", officers_,
                   "a data officer's certificate CN allowed to submit (repeat; replaces the "
                   "config's [officers] allowed)");
  if (extra.contains(DaemonFlag::kAgentGrants))
    app.add_option("--allow-agent", agent_grants_,
                   "CN=SITE:KIND[,KIND]: an agent certificate and what it may upload (repeat; "
                   "replaces the config's [agents])");
}

absl::StatusOr<DaemonConfig> DaemonFlags::Resolve() const {
  DaemonConfig config;
  if (!config_path_.empty()) {
    absl::Status s = LoadDaemonConfig(config_path_, &config);
    if (!s.ok()) return s;
  }
  if (app_.count("--listen")) config.listen = flags_.listen;
  if (max_call_seconds_ > 0) config.limits.max_call_seconds = max_call_seconds_;
  if (min_free_mb_ >= 0) config.min_free_mb = min_free_mb_;
  if (calls_per_minute_ > 0) config.limits.calls_per_minute = calls_per_minute_;
  if (concurrent_per_caller_ > 0) config.limits.concurrent_per_caller = concurrent_per_caller_;
  for (auto [flag, field] : {std::pair{&flags_.data_dir, &config.data_dir},
                             {&flags_.site, &config.site},
                             {&flags_.site_kind, &config.site_kind},
                             {&flags_.key_file, &config.key_file},
                             {&flags_.linker_address, &config.linker_address},
                             {&flags_.tls.ca, &config.tls.ca},
                             {&flags_.tls.cert, &config.tls.cert},
                             {&flags_.tls.key, &config.tls.key},
                             {&flags_.tls.crl, &config.tls.crl},
                             {&flags_.client_cert, &config.client_cert},
                             {&flags_.client_key, &config.client_key},
                             {&flags_.port_file, &config.port_file},
                             {&flags_.audit_signing_key, &config.audit_signing_key}}) {
    if (!flag->empty()) *field = *flag;
  }
  if (!officers_.empty()) config.officers = {officers_.begin(), officers_.end()};
  if (!agent_grants_.empty()) {
    config.agents.clear();
    for (const std::string& g : agent_grants_) {
      absl::Status s = ParseAgentGrant(g, &config.agents);
      if (!s.ok()) return absl::InvalidArgumentError(Cat("--allow-agent ", s.message()));
    }
  }
  std::vector<std::pair<std::string_view, const std::string*>> needed = {
      {"tls ca", &config.tls.ca}, {"tls cert", &config.tls.cert}, {"tls key", &config.tls.key}};
  const std::pair<DaemonFlag, std::pair<std::string_view, const std::string*>> optional[] = {
      {DaemonFlag::kDataDir, {"data_dir", &config.data_dir}},
      {DaemonFlag::kSpoolDir, {"spool dir (data_dir)", &config.data_dir}},
      {DaemonFlag::kSite, {"site name", &config.site}},
      {DaemonFlag::kSiteKind, {"site kind", &config.site_kind}},
      {DaemonFlag::kKeyFile, {"key file", &config.key_file}},
      {DaemonFlag::kLinker, {"linker address", &config.linker_address}},
      {DaemonFlag::kLinker, {"tls client_cert", &config.client_cert}},
      {DaemonFlag::kLinker, {"tls client_key", &config.client_key}}};
  for (const auto& [flag, setting] : optional) {
    if (extra_.contains(flag)) needed.push_back(setting);
  }
  std::string missing;
  for (const auto& [name, value] : needed) {
    if (value->empty()) missing += (missing.empty() ? "" : ", ") + std::string(name);
  }
  if (extra_.contains(DaemonFlag::kOfficers) && config.officers.empty())
    missing += (missing.empty() ? "" : ", ") + std::string("officers allowed (--officer)");
  if (extra_.contains(DaemonFlag::kAgentGrants) && config.agents.empty())
    missing += (missing.empty() ? "" : ", ") + std::string("agents (--allow-agent)");
  if (!missing.empty()) return absl::InvalidArgumentError("missing settings: " + missing);
  return config;
}

}  // namespace pprl
