#define TOML_EXCEPTIONS 0
#include "service/daemon_config.h"

#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/text.h"

namespace pprl {

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
  if (const toml::table* mapping = t["columns"].as_table()) {
    for (const auto& [name, value] : *mapping) {
      if (auto v = value.value<std::string>()) config->column_mapping[std::string(name.str())] = *v;
    }
  }
  return absl::OkStatus();
}

}  // namespace pprl
