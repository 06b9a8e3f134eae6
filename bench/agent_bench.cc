// Submission throughput end to end: a data officer's CSV file through pprl submit to a real
// pprl-agent, pseudonymised there and committed at a real pprl-linker (all over mutual TLS),
// beside the pseudonymisation-only rate of the same file in this process.
// Usage: agent_bench [--rows N]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench/bench_export.h"
#include "cli/submit_command.h"
#include "core/export_pseudonymiser.h"
#include "service/child_process.h"

int main(int argc, char** argv) {
  int rows = 500000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--rows") rows = std::atoi(argv[i + 1]);
  }
  std::string work =
      std::filesystem::temp_directory_path() / ("pprl_agent_bench_" + std::to_string(getpid()));
  std::filesystem::create_directories(work);
  std::string csv = work + "/bvh.csv";
  pprl::bench::WriteIncidentExport(csv, rows, 7);
  std::string certs = work + "/certs";
  std::system((std::string(PPRL_SOURCE_DIR) + "/deploy/make-dev-certs.sh " + certs + " >/dev/null")
                  .c_str());
  pprl::HmacKey key = std::move(*pprl::HmacKey::Generate());
  (void)pprl::WriteKeyFile(work + "/site.key", key);
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  // Baseline: pseudonymisation alone, all cores.
  double pseudo_seconds;
  {
    std::ifstream in(csv, std::ios::binary);
    pprl::ExportOptions o;
    o.kind = pprl::ExportKind::kIncidents;
    o.threads = cores;
    auto t = std::chrono::steady_clock::now();
    auto s = pprl::PseudonymiseExport(
        in, o, key, [](const pprl::PseudonymousRecord&) { return absl::OkStatus(); });
    pseudo_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    if (!s.ok()) return 1;
  }

  double e2e_seconds;
  {
    pprl::DaemonProcess linker(
        PPRL_LINKER_BIN,
        {"--listen", "127.0.0.1:0", "--data-dir", work + "/db", "--tls-ca", certs + "/ca.pem",
         "--tls-cert", certs + "/linker.pem", "--tls-key", certs + "/linker.key", "--allow-agent",
         "police=police:incidents,convictions"},
        work + "/linker.port", work + "/linker.log");
    pprl::DaemonProcess agent(PPRL_AGENT_BIN,
                              {"--listen",
                               "127.0.0.1:0",
                               "--spool-dir",
                               work + "/spool",
                               "--site",
                               "police",
                               "--site-kind",
                               "police",
                               "--key-file",
                               work + "/site.key",
                               "--linker",
                               linker.address(),
                               "--tls-ca",
                               certs + "/ca.pem",
                               "--tls-cert",
                               certs + "/agent-police-server.pem",
                               "--tls-key",
                               certs + "/agent-police-server.key",
                               "--tls-client-cert",
                               certs + "/agent-police.pem",
                               "--tls-client-key",
                               certs + "/agent-police.key",
                               "--officer",
                               "officer-police"},
                              work + "/agent.port", work + "/agent.log");
    pprl::SubmitOptions o;
    o.agent = agent.address();
    o.site = "police";
    o.tls = {certs + "/ca.pem", certs + "/officer-police.pem", certs + "/officer-police.key"};
    o.kind = pprl::ExportKind::kIncidents;
    o.file = csv;
    std::ostringstream out;
    auto t = std::chrono::steady_clock::now();
    absl::Status s = pprl::RunSubmit(o, out);
    e2e_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    if (!s.ok()) {
      std::fprintf(stderr, "submit failed: %s\n", std::string(s.message()).c_str());
      return 1;
    }
  }
  std::filesystem::remove_all(work);
  std::printf(
      "submit_rows %d\nsubmit_end_to_end_records_per_s %.0f\npseudonymise_only_records_per_s %.0f\n"
      "ratio_end_to_end_to_pseudonymise %.2f\n",
      rows, rows / e2e_seconds, rows / pseudo_seconds, pseudo_seconds / e2e_seconds);
  return 0;
}
