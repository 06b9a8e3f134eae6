#include "cli/demo_command.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <sstream>

#include "cli/analyze_command.h"
#include "cli/linker_commands.h"
#include "cli/submit_command.h"
#include "core/csv_reader.h"
#include "core/hmac_key.h"
#include "core/text.h"
#include "service/child_process.h"
#include "service/dev_ca.h"

namespace pprl {
namespace {

namespace fs = std::filesystem;

// Children to stop if the demo is interrupted (Ctrl-C) or fails.
std::atomic<pid_t> children[8];

void StopChildrenOnSignal(int sig) {
  for (auto& c : children) {
    pid_t p = c.load();
    if (p > 0) ::kill(p, SIGTERM);
  }
  ::_exit(128 + sig);
}

absl::StatusOr<std::vector<std::vector<std::string>>> ReadCsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(Cat("cannot read ", path));
  CsvReader reader(in);
  absl::StatusOr<CsvRow> header = reader.ReadHeader();
  if (!header.ok()) return header.status();
  std::vector<std::vector<std::string>> rows;
  CsvRow row;
  while (true) {
    absl::StatusOr<bool> got = reader.Next(&row);
    if (!got.ok()) return got.status();
    if (!*got) break;
    rows.emplace_back(row.fields.begin(), row.fields.end());
  }
  return rows;
}

// The daemon binaries: beside this one (installed), or in the build tree.
std::string FindBinary(const std::string& self, const std::string& name,
                       const std::string& subdir) {
  fs::path dir = fs::path(self).parent_path();
  for (const fs::path& p : {dir / name, dir / ".." / subdir / name}) {
    if (fs::exists(p)) return p.string();
  }
  return name;
}

}  // namespace

absl::Status RunSynth(const std::string& out_dir, const SynthOptions& options, std::ostream& out) {
  absl::StatusOr<SynthSummary> s = WriteSyntheticExports(out_dir, options);
  if (!s.ok()) return s.status();
  out << "wrote " << out_dir << "/cases.csv (" << s->cases << " case subjects), incidents.csv ("
      << s->incident_rows << " rows), convictions.csv (" << s->conviction_rows
      << " rows) for a population of " << s->people << "; the ground truth is in " << out_dir
      << "/truth/ (never give it to the pipeline)\n";
  return absl::OkStatus();
}

absl::StatusOr<LinkageQuality> EvaluateLinkage(const std::string& truth_csv,
                                               const std::string& links_csv) {
  absl::StatusOr<std::vector<std::vector<std::string>>> truth = ReadCsv(truth_csv);
  if (!truth.ok()) return truth.status();
  absl::StatusOr<std::vector<std::vector<std::string>>> links = ReadCsv(links_csv);
  if (!links.ok()) return links.status();
  struct Truth {
    std::string person, errors;
  };
  std::map<std::pair<std::string, std::string>, Truth> by_record;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> police_of_person;
  for (const auto& r : *truth) {
    if (r.size() < 4) return absl::InvalidArgumentError(Cat(truth_csv, ": a row without 4 fields"));
    by_record[{r[0], r[1]}] = {r[2], r[3]};
    if (r[0] != "cases") police_of_person[r[2]].push_back({r[0], r[1]});
  }
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> subjects;
  for (const auto& r : *links) {
    if (r.size() < 3) return absl::InvalidArgumentError(Cat(links_csv, ": a row without 3 fields"));
    subjects[r[0]].push_back({r[1], r[2]});
  }
  LinkageQuality q;
  for (const auto& [subject, records] : subjects) {
    for (const auto& c : records) {
      if (c.first != "cases") continue;
      auto ct = by_record.find(c);
      if (ct == by_record.end())
        return absl::InvalidArgumentError(Cat("case ", c.second, " is not in the truth file"));
      std::set<std::pair<std::string, std::string>> truly(
          police_of_person[ct->second.person].begin(), police_of_person[ct->second.person].end());
      std::set<std::pair<std::string, std::string>> found;
      for (const auto& r : records) {
        if (r.first != "cases") found.insert(r);
      }
      q.true_pairs += static_cast<int64_t>(truly.size());
      q.found_pairs += static_cast<int64_t>(found.size());
      for (const auto& r : found) {
        if (truly.contains(r)) {
          ++q.correct_pairs;
        } else {
          const Truth& t = by_record[r];
          ++q.false_links_by_cause[t.errors.empty() ? "namesake or twin" : t.errors];
        }
      }
      for (const auto& r : truly) {
        if (found.contains(r)) continue;
        const std::string& e = by_record[r].errors;
        const std::string& ce = ct->second.errors;
        ++q.misses_by_cause[!e.empty()
                                ? e
                                : (!ce.empty() ? "case " + ce : "ambiguous (twin) or unknown")];
      }
    }
  }
  q.precision =
      q.found_pairs ? static_cast<double>(q.correct_pairs) / static_cast<double>(q.found_pairs) : 1;
  q.recall =
      q.true_pairs ? static_cast<double>(q.correct_pairs) / static_cast<double>(q.true_pairs) : 1;
  q.f1 = q.precision + q.recall > 0 ? 2 * q.precision * q.recall / (q.precision + q.recall) : 0;
  return q;
}

std::string FormatLinkageQuality(const LinkageQuality& q) {
  char buf[256];
  std::snprintf(
      buf, sizeof buf,
      "linkage quality (case-to-police-record pairs): precision %.4f, recall %.4f, F1 %.4f "
      "(%lld true pairs, %lld found, %lld correct)\n",
      q.precision, q.recall, q.f1, static_cast<long long>(q.true_pairs),
      static_cast<long long>(q.found_pairs), static_cast<long long>(q.correct_pairs));
  std::string out = buf;
  for (const auto& [cause, n] : q.misses_by_cause)
    Append(&out, "  missed (", cause, "): ", n, "\n");
  for (const auto& [cause, n] : q.false_links_by_cause)
    Append(&out, "  wrongly linked (", cause, "): ", n, "\n");
  return out;
}

absl::Status RunDemo(const DemoOptions& o, const std::string& self, std::ostream& out) {
  const fs::path out_dir = o.out_dir;
  const fs::path work = out_dir / "work";
  std::error_code ec;
  fs::remove_all(work, ec);
  fs::create_directories(work / "logs", ec);
  if (ec) return absl::UnavailableError(Cat("cannot create ", work.string()));
  auto step = [&](int n, const std::string& what) {
    out << "[" << n << "/8] " << what << std::endl;
  };
  step(1, "fresh certificates (a development CA) and a fresh site key");
  absl::Status s = MakeDevCertificates((work / "certs").string());
  if (!s.ok()) return s;
  absl::StatusOr<HmacKey> key = HmacKey::Generate();
  if (!key.ok()) return key.status();
  s = WriteKeyFile((work / "site.key").string(), *key);
  if (!s.ok()) return s;

  std::string data = o.data_dir;
  if (data.empty()) {
    step(2, "synthetic exports (pprl synth)");
    data = (out_dir / "data").string();
    fs::remove_all(data, ec);
    s = RunSynth(data, o.synth, out);
    if (!s.ok()) return s;
  } else {
    step(2, "exports from " + data);
  }
  for (const char* f : {"cases.csv", "incidents.csv", "convictions.csv"}) {
    if (!fs::exists(fs::path(data) / f))
      return absl::NotFoundError(Cat(data, "/", f, " is missing"));
  }

  step(3, "starting pprl-linker, pprl-analyzer and two pprl-agents on 127.0.0.1");
  const std::string certs = (work / "certs").string();
  auto tls_args = [&](const std::string& name) {
    return std::vector<std::string>{"--tls-ca",   certs + "/ca.pem",
                                    "--tls-cert", certs + "/" + name + ".pem",
                                    "--tls-key",  certs + "/" + name + ".key"};
  };
  auto with = [](std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  std::signal(SIGINT, StopChildrenOnSignal);
  std::signal(SIGTERM, StopChildrenOnSignal);
  DaemonProcess linker(
      FindBinary(self, "pprl-linker", "linker"),
      with({"--listen", "127.0.0.1:0", "--data-dir", (work / "linker-db").string()},
           tls_args("linker")),
      (work / "linker.port").string(), (work / "logs" / "linker.log").string());
  children[0] = linker.pid();
  if (!linker.running())
    return absl::InternalError(
        Cat("pprl-linker did not start; see ", (work / "logs" / "linker.log").string()));
  DaemonProcess analyzer(
      FindBinary(self, "pprl-analyzer", "analyzer"),
      with({"--listen", "127.0.0.1:0", "--linker", linker.address()}, tls_args("analyzer")),
      (work / "analyzer.port").string(), (work / "logs" / "analyzer.log").string());
  children[1] = analyzer.pid();
  auto agent = [&](const std::string& site, const std::string& kind, const std::string& cert) {
    return std::make_unique<DaemonProcess>(
        FindBinary(self, "pprl-agent", "agent"),
        with({"--listen", "127.0.0.1:0", "--spool-dir", (work / ("spool-" + site)).string(),
              "--site", site, "--site-kind", kind, "--key-file", (work / "site.key").string(),
              "--linker", linker.address()},
             tls_args(cert)),
        (work / (site + ".port")).string(), (work / "logs" / ("agent-" + site + ".log")).string());
  };
  std::unique_ptr<DaemonProcess> police = agent("police", "police", "agent-police");
  children[2] = police->pid();
  std::unique_ptr<DaemonProcess> vh = agent("veiligheidshuis", "veiligheidshuis", "agent-vh");
  children[3] = vh->pid();
  if (!analyzer.running() || !police->running() || !vh->running()) {
    return absl::InternalError(
        Cat("a daemon did not start; see the logs in ", (work / "logs").string()));
  }
  auto as = [&](const std::string& name) {
    return TlsFiles{certs + "/ca.pem", certs + "/" + name + ".pem", certs + "/" + name + ".key"};
  };

  step(4, "data officers submit the three exports through their site's agent");
  struct Submission {
    DaemonProcess* agent;
    const char* officer;
    ExportKind kind;
    const char* file;
  };
  constexpr int kErrorsShown = 10;
  for (const Submission& sub :
       {Submission{vh.get(), "officer-vh", ExportKind::kCases, "cases.csv"},
        Submission{police.get(), "officer-police", ExportKind::kIncidents, "incidents.csv"},
        Submission{police.get(), "officer-police", ExportKind::kConvictions, "convictions.csv"}}) {
    SubmitOptions so;
    so.agent = sub.agent->address();
    so.tls = as(sub.officer);
    so.kind = sub.kind;
    so.file = (fs::path(data) / sub.file).string();
    so.skip_invalid = o.skip_invalid;
    std::ostringstream text_out;
    v1::SubmitReport report;
    s = RunSubmit(so, text_out, &report);
    std::string text = text_out.str();
    if (!text.empty()) {
      // The first and last lines: counts and the receipt.
      std::string first = text.substr(0, text.find('\n') + 1);
      std::string last = text.substr(text.rfind('\n', text.size() - 2) + 1);
      out << "  " << first;
      if (last != first) out << "  " << last;
    }
    // The agent's first errors: file, line, column and reason, never a value.
    int shown = 0;
    for (const v1::RowErrorReport& e : report.errors()) {
      if (shown++ == kErrorsShown) break;
      out << "    " << so.file << ":" << e.line() << ": "
          << (e.column().empty() ? "" : Cat("column ", e.column(), ": ")) << e.reason() << "\n";
    }
    if (report.error_count() > std::min<int64_t>(report.errors_size(), kErrorsShown))
      out << "    ... and " << report.error_count() - std::min(report.errors_size(), kErrorsShown)
          << " more errors\n";
    if (report.refused()) {
      return absl::InvalidArgumentError(
          Cat(so.file, " was refused: ", report.rows_invalid(), " invalid row",
              report.rows_invalid() == 1 ? "" : "s",
              " (the first errors are listed above); nothing was linked. Fix them, or run the "
              "demo again with --skip-invalid to leave the invalid rows out"));
    }
    if (!s.ok()) return s;
    if (report.rows_invalid() > 0)
      out << "    (--skip-invalid: " << report.rows_invalid() << " invalid rows left out)\n";
  }

  step(5, "the auditor links the extracts");
  LinkerClientOptions auditor{linker.address(), as("auditor"), 600};
  s = RunLink(auditor, out);
  if (!s.ok()) return s;
  fs::create_directories(out_dir, ec);
  std::ostringstream quiet;
  s = RunLinks(auditor, (out_dir / "links.csv").string(), quiet);
  if (!s.ok()) return s;

  step(6, "the analyst runs the default (reference) study");
  AnalyzeOptions ao;
  ao.analyzer = analyzer.address();
  ao.tls = as("analyst");
  ao.json_out = (out_dir / "report.json").string();
  ao.html_out = (out_dir / "report.html").string();
  std::ostringstream report_text;
  // A refusal (disclosure control) still writes the report files, with the reason: the demo
  // goes on and ends with the refusal.
  const absl::Status study = RunAnalyze(ao, report_text);
  if (!study.ok() && study.code() != absl::StatusCode::kFailedPrecondition) return study;

  step(7, "the auditor verifies the audit log");
  s = RunAuditVerify(auditor, out);
  if (!s.ok()) return s;

  if (o.serve) {
    const fs::path env = out_dir / "serve.env";
    {
      std::ofstream e(env);
      e << "LINKER=" << linker.address() << "\nANALYZER=" << analyzer.address()
        << "\nPOLICE_AGENT=" << police->address() << "\nVH_AGENT=" << vh->address()
        << "\nCERTS=" << fs::absolute(certs).string() << "\nDATA=" << fs::absolute(data).string()
        << "\n";
    }
    out << "serving until Ctrl-C or SIGTERM; addresses in " << env.string() << std::endl;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    int sig = 0;
    sigwait(&set, &sig);
  }

  step(8, "stopping every process");
  for (auto* d : {vh.get(), police.get(), &analyzer, &linker}) d->Stop();
  for (auto& c : children) c = 0;
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);

  out << "\n" << report_text.str() << "\n";
  if (o.data_dir.empty()) {
    absl::StatusOr<LinkageQuality> q = EvaluateLinkage(
        (fs::path(data) / "truth" / "truth.csv").string(), (out_dir / "links.csv").string());
    if (!q.ok()) return q.status();
    out << FormatLinkageQuality(*q);
  }
  out << "\nwrote " << (out_dir / "report.json").string() << ", "
      << (out_dir / "report.html").string() << " and " << (out_dir / "links.csv").string()
      << "; daemon logs in " << (work / "logs").string() << "\n";
  if (!study.ok()) {
    return absl::FailedPreconditionError(
        Cat("the analyzer refused the study (the reason is above and in ",
            (out_dir / "report.json").string(), "); links.csv and the audit log are complete"));
  }
  return absl::OkStatus();
}

}  // namespace pprl
