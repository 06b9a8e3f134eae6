#include "linker/store_common.h"

#include <nlohmann/json.hpp>

#include "core/text.h"

namespace pprl::store_internal {

absl::StatusOr<Admission> Admit(const ExtractInfo& announced,
                                const std::optional<ExtractInfo>& existing,
                                const std::optional<std::string>& store_key_id) {
  if (announced.key_id.size() != 32) {
    return absl::InvalidArgumentError("the extract carries no valid key id");
  }
  if (store_key_id && *store_key_id != announced.key_id) {
    return absl::FailedPreconditionError(
        Cat("the extract was pseudonymised with key ", announced.key_id,
            " but this linker holds extracts made with key ", *store_key_id,
            "; extracts with different keys cannot be linked (did a site make a new key?)"));
  }
  Admission a;
  if (existing && !existing->withdrawn) {
    if (existing->content_digest != announced.content_digest ||
        existing->record_count != announced.record_count || existing->kind != announced.kind) {
      return absl::AlreadyExistsError(Cat("site ", announced.site,
                                          " already committed another extract under client id '",
                                          announced.client_extract_id, "' (", existing->extract_id,
                                          "); use a new client id or withdraw the old extract"));
    }
    a.already_committed = true;
    a.existing = *existing;
  }
  return a;
}

absl::Status CheckReceived(const ExtractInfo& announced, uint64_t count,
                           const std::string& digest) {
  if (count != announced.record_count) {
    return absl::DataLossError(Cat("the upload announced ", announced.record_count, " records but ",
                                   count, " arrived; nothing was stored"));
  }
  if (digest != announced.content_digest) {
    return absl::DataLossError(
        "the records that arrived do not match the announced digest; nothing was stored");
  }
  return absl::OkStatus();
}

std::string ExtractInfoToJson(const ExtractInfo& i) {
  nlohmann::json j = {{"extract_id", i.extract_id},
                      {"site", i.site},
                      {"client_extract_id", i.client_extract_id},
                      {"kind", std::string(ExportKindName(i.kind))},
                      {"key_id", i.key_id},
                      {"content_digest", i.content_digest},
                      {"record_count", i.record_count},
                      {"committed_unix_ms", i.committed_unix_ms},
                      {"withdrawn", i.withdrawn}};
  return j.dump();
}

absl::StatusOr<ExtractInfo> ExtractInfoFromJson(const std::string& json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return absl::DataLossError("damaged extract entry");
  try {
    ExtractInfo i;
    i.extract_id = j.at("extract_id").get<std::string>();
    i.site = j.at("site").get<std::string>();
    i.client_extract_id = j.at("client_extract_id").get<std::string>();
    absl::StatusOr<ExportKind> kind = ParseExportKind(j.at("kind").get<std::string>());
    if (!kind.ok()) return kind.status();
    i.kind = *kind;
    i.key_id = j.at("key_id").get<std::string>();
    i.content_digest = j.at("content_digest").get<std::string>();
    i.record_count = j.at("record_count").get<uint64_t>();
    i.committed_unix_ms = j.at("committed_unix_ms").get<int64_t>();
    i.withdrawn = j.at("withdrawn").get<bool>();
    return i;
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(Cat("damaged extract entry: ", e.what()));
  }
}

}  // namespace pprl::store_internal
