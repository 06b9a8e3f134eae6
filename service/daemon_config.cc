#define TOML_EXCEPTIONS 0
#include "service/daemon_config.h"

#include <toml++/toml.h>

#include <filesystem>

#include "core/text.h"

namespace pprl {

absl::Status LoadDaemonConfig(const std::string& path, DaemonConfig* config) {
  toml::parse_result parsed = toml::parse_file(path);
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
  text(t["linker"]["address"].value<std::string>(), &config->linker_address);
  text(t["site"]["name"].value<std::string>(), &config->site);
  text(t["site"]["kind"].value<std::string>(), &config->site_kind);
  file(t["site"]["key_file"].value<std::string>(), &config->key_file);
  if (const toml::table* mapping = t["columns"].as_table()) {
    for (const auto& [name, value] : *mapping) {
      if (auto v = value.value<std::string>()) config->column_mapping[std::string(name.str())] = *v;
    }
  }
  return absl::OkStatus();
}

}  // namespace pprl
