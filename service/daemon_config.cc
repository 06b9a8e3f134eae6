#define TOML_EXCEPTIONS 0
#include "service/daemon_config.h"

#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/text.h"

namespace pprl {

absl::Status ParseAgentGrant(std::string_view text, std::map<std::string, AgentGrant>* grants) {
  size_t eq = text.find('=');
  size_t colon = text.find(':', eq == std::string_view::npos ? 0 : eq);
  if (eq == std::string_view::npos || colon == std::string_view::npos || eq == 0 ||
      colon == eq + 1 || colon + 1 == text.size()) {
    return absl::InvalidArgumentError(
        Cat("'", text, "' is not CN=SITE:KIND[,KIND] (e.g. police=police:incidents,convictions)"));
  }
  AgentGrant grant;
  grant.site = std::string(text.substr(eq + 1, colon - eq - 1));
  std::string_view kinds = text.substr(colon + 1);
  while (!kinds.empty()) {
    size_t comma = kinds.find(',');
    absl::StatusOr<ExportKind> kind = ParseExportKind(kinds.substr(0, comma));
    if (!kind.ok())
      return absl::InvalidArgumentError(Cat("'", text, "': ", kind.status().message()));
    grant.kinds.insert(*kind);
    kinds = comma == std::string_view::npos ? "" : kinds.substr(comma + 1);
  }
  (*grants)[std::string(text.substr(0, eq))] = std::move(grant);
  return absl::OkStatus();
}

absl::Status LoadDaemonConfig(const std::string& path, DaemonConfig* config) {
  // Debian's toml++ reaches undefined behaviour on some non-ASCII code points outside strings
  // (found by fuzzing the study parser); configs are ASCII, anything else is refused first.
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(Cat(path, ": cannot read the config file"));
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int64_t line = 1;
  for (char c : content) {
    if (c == '\n') ++line;
    if (static_cast<unsigned char>(c) >= 0x80) {
      return absl::InvalidArgumentError(
          Cat(path, ":", line, ": a non-ASCII character (config files are ASCII)"));
    }
  }
  toml::parse_result parsed = toml::parse(content, path);
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    return absl::InvalidArgumentError(Cat(path, ":", static_cast<int64_t>(e.source().begin.line),
                                          ": ", std::string(e.description())));
  }
  const toml::table& t = parsed.table();
  std::filesystem::path base = std::filesystem::path(path).parent_path();
  auto file = [&](std::optional<std::string> v, std::string* out) {
    if (!v) return;
    std::filesystem::path p(*v);
    *out = p.is_absolute() || base.empty() ? *v : (base / p).string();
  };
  auto text = [&](std::optional<std::string> v, std::string* out) {
    if (v) *out = *v;
  };
  text(t["listen"].value<std::string>(), &config->listen);
  file(t["data_dir"].value<std::string>(), &config->data_dir);
  file(t["tls"]["ca"].value<std::string>(), &config->tls.ca);
  file(t["tls"]["cert"].value<std::string>(), &config->tls.cert);
  file(t["tls"]["key"].value<std::string>(), &config->tls.key);
  file(t["audit"]["signing_key"].value<std::string>(), &config->audit_signing_key);
  file(t["tls"]["client_cert"].value<std::string>(), &config->client_cert);
  file(t["tls"]["client_key"].value<std::string>(), &config->client_key);
  file(t["tls"]["crl"].value<std::string>(), &config->tls.crl);
  text(t["linker"]["address"].value<std::string>(), &config->linker_address);
  text(t["site"]["name"].value<std::string>(), &config->site);
  text(t["site"]["kind"].value<std::string>(), &config->site_kind);
  file(t["site"]["key_file"].value<std::string>(), &config->key_file);
  if (auto v = t["min_free_mb"].value<int64_t>()) {
    if (*v < 0) return absl::InvalidArgumentError(Cat(path, ": min_free_mb must be >= 0"));
    config->min_free_mb = *v;
  }
  if (auto v = t["limits"]["max_call_seconds"].value<int64_t>()) {
    if (*v < 1 || *v > 86400)
      return absl::InvalidArgumentError(Cat(path, ": limits.max_call_seconds must be 1..86400"));
    config->limits.max_call_seconds = static_cast<int>(*v);
  }
  if (auto v = t["limits"]["calls_per_minute"].value<double>()) {
    if (*v <= 0)
      return absl::InvalidArgumentError(Cat(path, ": limits.calls_per_minute must be > 0"));
    config->limits.calls_per_minute = *v;
  }
  if (auto v = t["limits"]["concurrent_per_caller"].value<int64_t>()) {
    if (*v < 1 || *v > 1000)
      return absl::InvalidArgumentError(
          Cat(path, ": limits.concurrent_per_caller must be 1..1000"));
    config->limits.concurrent_per_caller = static_cast<int>(*v);
  }
  if (const toml::node* allowed = t["officers"]["allowed"].node()) {
    const toml::array* list = allowed->as_array();
    if (list == nullptr)
      return absl::InvalidArgumentError(Cat(path, ": officers.allowed must be a list of CNs"));
    for (const toml::node& n : *list) {
      std::optional<std::string> cn = n.value<std::string>();
      if (!cn || cn->empty())
        return absl::InvalidArgumentError(
            Cat(path, ":", static_cast<int64_t>(n.source().begin.line),
                ": officers.allowed holds something that is not a certificate CN"));
      config->officers.insert(*cn);
    }
  }
  if (const toml::node* agents = t["agents"].node()) {
    const toml::table* table = agents->as_table();
    if (table == nullptr)
      return absl::InvalidArgumentError(Cat(path, ": agents must be a table of agent CNs"));
    for (const auto& [cn, value] : *table) {
      const int64_t line = static_cast<int64_t>(value.source().begin.line);
      const toml::table* entry = value.as_table();
      std::optional<std::string> site =
          entry ? (*entry)["site"].value<std::string>() : std::nullopt;
      const toml::array* kinds = entry ? (*entry)["kinds"].as_array() : nullptr;
      if (!site || site->empty() || kinds == nullptr || kinds->empty()) {
        return absl::InvalidArgumentError(Cat(path, ":", line, ": agents.", std::string(cn.str()),
                                              " needs site = \"...\" and kinds = [...]"));
      }
      AgentGrant grant;
      grant.site = *site;
      for (const toml::node& k : *kinds) {
        std::optional<std::string> name = k.value<std::string>();
        absl::StatusOr<ExportKind> kind =
            name ? ParseExportKind(*name) : absl::InvalidArgumentError("not a string");
        if (!kind.ok())
          return absl::InvalidArgumentError(Cat(path, ":", line, ": agents.", std::string(cn.str()),
                                                ".kinds: ", kind.status().message()));
        grant.kinds.insert(*kind);
      }
      config->agents[std::string(cn.str())] = std::move(grant);
    }
  }
  if (const toml::table* mapping = t["columns"].as_table()) {
    for (const auto& [name, value] : *mapping) {
      if (auto v = value.value<std::string>()) config->column_mapping[std::string(name.str())] = *v;
    }
  }
  return absl::OkStatus();
}

}  // namespace pprl
