#include "service/rpc_util.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/text.h"

namespace pprl {
namespace {

std::mutex log_mu;
std::string daemon_name = "pprl";

std::string EntryText(const X509_NAME* name, int nid) {
  int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return "";
  X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, index);
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

template <typename Fields>
void Log(std::string_view level, std::string_view msg, const Fields& fields) {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  char ts[64];
  std::tm tm;
  gmtime_r(&t, &tm);
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  nlohmann::ordered_json j;
  j["ts"] = ts;
  j["level"] = std::string(level);
  std::lock_guard<std::mutex> lock(log_mu);
  j["daemon"] = daemon_name;
  j["msg"] = std::string(msg);
  for (const auto& [k, v] : fields) j[std::string(k)] = v;
  std::fprintf(stderr, "%s\n",
               j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  std::fflush(stderr);
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kDataOfficer:
      return "data-officer";
    case Role::kAgent:
      return "agent";
    case Role::kAnalyst:
      return "analyst";
    case Role::kAnalyzer:
      return "analyzer";
    case Role::kAuditor:
      return "auditor";
    case Role::kNone:
      break;
  }
  return "none";
}

Role RoleFromName(std::string_view name) {
  for (Role r :
       {Role::kDataOfficer, Role::kAgent, Role::kAnalyst, Role::kAnalyzer, Role::kAuditor}) {
    if (RoleName(r) == name) return r;
  }
  return Role::kNone;
}

Peer PeerOf(const grpc::ServerContextBase& context) {
  Peer peer;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (!auth || !auth->IsPeerAuthenticated()) return peer;
  std::vector<grpc::string_ref> pems = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pems.empty()) return peer;
  BIO* bio = BIO_new_mem_buf(pems[0].data(), static_cast<int>(pems[0].size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return peer;
  const X509_NAME* subject = X509_get_subject_name(cert);
  peer.role = RoleFromName(EntryText(subject, NID_organizationalUnitName));
  peer.name = EntryText(subject, NID_commonName);
  X509_free(cert);
  if (peer.name.empty()) peer.role = Role::kNone;
  return peer;
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(Cat("cannot read ", path));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerTlsCredentials(const TlsFiles& f) {
  absl::StatusOr<std::string> ca = ReadTextFile(f.ca);
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::string> cert = ReadTextFile(f.cert);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadTextFile(f.key);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = *ca;
  options.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientTlsCredentials(const TlsFiles& f) {
  absl::StatusOr<std::string> ca = ReadTextFile(f.ca);
  if (!ca.ok()) return ca.status();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = *ca;
  if (!f.cert.empty()) {
    absl::StatusOr<std::string> cert = ReadTextFile(f.cert);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadTextFile(f.key);
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *cert;
    options.pem_private_key = *key;
  }
  return grpc::SslCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const std::string& address,
                                                           const TlsFiles& files,
                                                           const std::string& server_name) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds = ClientTlsCredentials(files);
  if (!creds.ok()) return creds.status();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  if (!server_name.empty()) args.SetSslTargetNameOverride(server_name);
  return grpc::CreateCustomChannel(address, *creds, args);
}

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

void SetDeadline(grpc::ClientContext* context, double seconds) {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
}

void SetLogDaemonName(std::string name) {
  std::lock_guard<std::mutex> lock(log_mu);
  daemon_name = std::move(name);
}
void LogInfo(std::string_view msg,
             std::initializer_list<std::pair<std::string_view, std::string>> fields) {
  Log("info", msg, fields);
}
void LogInfo(std::string_view msg,
             const std::vector<std::pair<std::string_view, std::string>>& fields) {
  Log("info", msg, fields);
}
void LogError(std::string_view msg,
              std::initializer_list<std::pair<std::string_view, std::string>> fields) {
  Log("error", msg, fields);
}

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace pprl
