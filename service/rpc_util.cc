#include "service/rpc_util.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
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
std::mutex refusal_mu;
std::string last_refusal;  // the last server certificate refused by this process as a client

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
    case Role::kLinker:
      return "linker";
    case Role::kNone:
      break;
  }
  return "none";
}

Role RoleFromName(std::string_view name) {
  for (Role r : {Role::kDataOfficer, Role::kAgent, Role::kAnalyst, Role::kAnalyzer, Role::kAuditor,
                 Role::kLinker}) {
    if (RoleName(r) == name) return r;
  }
  return Role::kNone;
}

namespace {

absl::StatusOr<Peer> PeerOfX509(X509* cert) {
  const X509_NAME* subject = X509_get_subject_name(cert);
  int ous = 0;
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_organizationalUnitName, i)) >= 0;)
    ++ous;
  Peer peer;
  peer.name = EntryText(subject, NID_commonName);
  if (ous != 1) {
    return absl::PermissionDeniedError(Cat("the certificate of CN=", peer.name, " has ", ous,
                                           " OUs: a certificate must name exactly one role"));
  }
  std::string ou = EntryText(subject, NID_organizationalUnitName);
  peer.role = RoleFromName(ou);
  if (peer.role == Role::kNone)
    return absl::PermissionDeniedError(
        Cat("the certificate of CN=", peer.name, " has OU=", ou, ", which is no pprl role"));
  if (peer.name.empty()) return absl::PermissionDeniedError("a certificate without a CN");
  return peer;
}

}  // namespace

absl::StatusOr<Peer> PeerOfCertificate(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return absl::InvalidArgumentError("not a PEM certificate");
  absl::StatusOr<Peer> peer = PeerOfX509(cert);
  X509_free(cert);
  return peer;
}

Peer PeerOf(const grpc::ServerContextBase& context) {
  Peer peer;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (!auth || !auth->IsPeerAuthenticated()) return peer;
  std::vector<grpc::string_ref> pems = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pems.empty()) return peer;
  absl::StatusOr<Peer> p = PeerOfCertificate(std::string_view(pems[0].data(), pems[0].size()));
  if (!p.ok()) return peer;  // role kNone: every RPC refuses it
  return *p;
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(Cat("cannot read ", path));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

namespace {

struct X509Free {
  void operator()(X509* c) const { X509_free(c); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

std::vector<X509Ptr> ReadCertificates(std::string_view pem) {
  std::vector<X509Ptr> out;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* c = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) out.emplace_back(c);
  BIO_free(bio);
  ERR_clear_error();
  return out;
}

// What both ends of a connection hold to verify the other: the CA and the CRL file.
struct TrustAnchors {
  std::string ca_pem;
  std::string crl_path;  // read at each handshake, so a new CRL takes effect without a restart
};

void RecordRefusal(std::string_view side, const absl::Status& s) {
  if (side == "client") {  // only a client's refusals of servers: its error messages use them
    std::lock_guard<std::mutex> lock(refusal_mu);
    last_refusal = std::string(s.message());
  }
  LogError("peer certificate refused",
           {{"side", std::string(side)}, {"error", std::string(s.message())}});
}

// Verifies the peer's certificate during the handshake. gRPC has checked the chain already;
// this checks it again with the CRL and the purpose, then the subject.
class PeerVerifier final : public grpc::experimental::ExternalCertificateVerifier {
 public:
  PeerVerifier(TrustAnchors trust, bool server_side, ExpectedServer expected)
      : trust_(std::move(trust)), server_side_(server_side), expected_(std::move(expected)) {}

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)>, grpc::Status* sync_status) override {
    absl::Status s = Check(request);
    if (s.ok() && !server_side_) {
      // The host name, as gRPC's default verifier would have checked it.
      grpc::Status host;
      host_verifier_.Verify(
          request, [](grpc::Status) {}, &host);
      if (!host.ok())
        s = absl::PermissionDeniedError(
            Cat("the server's certificate does not name the host ",
                std::string(request->target_name().data(), request->target_name().size())));
    }
    if (!s.ok()) {
      RecordRefusal(server_side_ ? "server" : "client", s);
      *sync_status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(s.message()));
    } else {
      *sync_status = grpc::Status::OK;
    }
    return true;
  }
  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {}

 private:
  absl::Status Check(grpc::experimental::TlsCustomVerificationCheckRequest* request) const {
    const std::string who = server_side_ ? "client" : "server";
    std::vector<X509Ptr> leaf = ReadCertificates(
        std::string_view(request->peer_cert().data(), request->peer_cert().size()));
    if (leaf.empty()) return absl::PermissionDeniedError(Cat("the ", who, " sent no certificate"));
    X509* cert = leaf[0].get();
    absl::StatusOr<Peer> peer = PeerOfX509(cert);
    if (!peer.ok()) return peer.status();
    const std::string subject = Cat(RoleName(peer->role), " CN=", peer->name);

    // One purpose per certificate: serverAuth for a server, clientAuth for a client.
    if ((X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) == 0) {
      return absl::PermissionDeniedError(
          Cat("the ", who, " certificate (", subject, ") has no extendedKeyUsage"));
    }
    uint32_t xku = X509_get_extended_key_usage(cert);
    uint32_t want = server_side_ ? XKU_SSL_CLIENT : XKU_SSL_SERVER;
    uint32_t other = server_side_ ? XKU_SSL_SERVER : XKU_SSL_CLIENT;
    if ((xku & want) == 0 || (xku & other) != 0) {
      return absl::PermissionDeniedError(Cat("the ", who, " certificate (", subject,
                                             ") must carry extendedKeyUsage ",
                                             server_side_ ? "clientAuth" : "serverAuth", " only"));
    }

    // The chain again, with the CRL.
    std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(),
                                                                  X509_STORE_free);
    for (X509Ptr& ca : ReadCertificates(trust_.ca_pem)) X509_STORE_add_cert(store.get(), ca.get());
    if (!trust_.crl_path.empty()) {
      absl::StatusOr<std::string> crl_pem = ReadTextFile(trust_.crl_path);
      if (!crl_pem.ok())
        return absl::PermissionDeniedError(
            Cat("cannot read the CRL file ", trust_.crl_path, ": every peer is refused"));
      BIO* bio = BIO_new_mem_buf(crl_pem->data(), static_cast<int>(crl_pem->size()));
      int crls = 0;
      while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr)) {
        X509_STORE_add_crl(store.get(), crl);
        X509_CRL_free(crl);
        ++crls;
      }
      BIO_free(bio);
      ERR_clear_error();
      if (crls == 0)
        return absl::PermissionDeniedError(
            Cat("the CRL file ", trust_.crl_path, " holds no CRL: every peer is refused"));
      X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK);
    }
    std::vector<X509Ptr> chain = ReadCertificates(std::string_view(
        request->peer_cert_full_chain().data(), request->peer_cert_full_chain().size()));
    STACK_OF(X509)* untrusted = sk_X509_new_null();
    for (X509Ptr& c : chain) sk_X509_push(untrusted, c.get());
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store.get(), cert, untrusted);
    X509_STORE_CTX_set_purpose(ctx,
                               server_side_ ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER);
    int ok = X509_verify_cert(ctx);
    int err = X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    if (ok != 1) {
      return absl::PermissionDeniedError(
          Cat("the ", who, " certificate (", subject, ") is refused: ",
              err == X509_V_ERR_CERT_REVOKED ? "it is revoked (CRL " + trust_.crl_path + ")"
                                             : std::string(X509_verify_cert_error_string(err))));
    }

    if (server_side_) return absl::OkStatus();
    if (peer->role != expected_.role || (!expected_.name.empty() && peer->name != expected_.name)) {
      return absl::PermissionDeniedError(Cat("the server is ", subject, ", not ",
                                             Describe(expected_),
                                             ": refused before sending anything"));
    }
    return absl::OkStatus();
  }

  TrustAnchors trust_;
  bool server_side_;
  ExpectedServer expected_;
  mutable grpc::experimental::HostNameCertificateVerifier host_verifier_;
};

}  // namespace

std::string Describe(const ExpectedServer& server) {
  if (server.name.empty()) return Cat("a ", RoleName(server.role));
  return Cat(RoleName(server.role), " CN=", server.name);
}

std::string LastPeerRefusal() {
  std::lock_guard<std::mutex> lock(refusal_mu);
  return last_refusal;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerTlsCredentials(const TlsFiles& f) {
  absl::StatusOr<std::string> ca = ReadTextFile(f.ca);
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::string> cert = ReadTextFile(f.cert);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadTextFile(f.key);
  if (!key.ok()) return key.status();
  if (!f.crl.empty()) {
    absl::StatusOr<std::string> crl = ReadTextFile(f.crl);
    if (!crl.ok()) return crl.status();
  }
  // Our own certificate must be a server certificate with one role.
  absl::StatusOr<Peer> self = PeerOfCertificate(*cert);
  if (!self.ok()) return absl::InvalidArgumentError(Cat(f.cert, ": ", self.status().message()));
  auto provider = std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
      *ca, std::vector<grpc::experimental::IdentityKeyCertPair>{{*key, *cert}});
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.set_certificate_verifier(
      grpc::experimental::ExternalCertificateVerifier::Create<PeerVerifier>(
          TrustAnchors{*ca, f.crl}, /*server_side=*/true, ExpectedServer{}));
  return grpc::experimental::TlsServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientTlsCredentials(
    const TlsFiles& f, const ExpectedServer& expected) {
  if (expected.role == Role::kNone)
    return absl::InvalidArgumentError("a client must name the role of the server it calls");
  absl::StatusOr<std::string> ca = ReadTextFile(f.ca);
  if (!ca.ok()) return ca.status();
  if (!f.crl.empty()) {
    absl::StatusOr<std::string> crl = ReadTextFile(f.crl);
    if (!crl.ok()) return crl.status();
  }
  std::vector<grpc::experimental::IdentityKeyCertPair> identity;
  if (!f.cert.empty()) {
    absl::StatusOr<std::string> cert = ReadTextFile(f.cert);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadTextFile(f.key);
    if (!key.ok()) return key.status();
    identity.push_back({*key, *cert});
  }
  auto provider =
      std::make_shared<grpc::experimental::StaticDataCertificateProvider>(*ca, identity);
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(provider);
  options.watch_root_certs();
  if (!identity.empty()) options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  options.set_check_call_host(false);  // the verifier checks the host name
  options.set_certificate_verifier(
      grpc::experimental::ExternalCertificateVerifier::Create<PeerVerifier>(
          TrustAnchors{*ca, f.crl}, /*server_side=*/false, expected));
  return grpc::experimental::TlsCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const std::string& address,
                                                           const TlsFiles& files,
                                                           const ExpectedServer& expected,
                                                           const std::string& server_name) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
      ClientTlsCredentials(files, expected);
  if (!creds.ok()) return creds.status();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  if (!server_name.empty()) args.SetSslTargetNameOverride(server_name);
  return grpc::CreateCustomChannel(address, *creds, args);
}

absl::Status ConnectVerified(grpc::Channel& channel, const std::string& address, double seconds) {
  auto deadline = std::chrono::system_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  std::string before = LastPeerRefusal();
  for (;;) {
    grpc_connectivity_state state = channel.GetState(/*try_to_connect=*/true);
    if (state == GRPC_CHANNEL_READY) return absl::OkStatus();
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE) {
      std::string refusal = LastPeerRefusal();
      if (!refusal.empty() && refusal != before) return absl::PermissionDeniedError(refusal);
      // Unreachable, or the handshake failed before our check (a certificate of another CA,
      // expired, or not a server certificate).
      return absl::UnavailableError(
          Cat(address, " is unreachable or its certificate was refused in the TLS handshake"));
    }
    if (!channel.WaitForStateChange(state, deadline)) {
      std::string refusal = LastPeerRefusal();
      if (!refusal.empty() && refusal != before) return absl::PermissionDeniedError(refusal);
      return absl::UnavailableError(Cat(address, " is unreachable (no verified TLS connection)"));
    }
  }
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
