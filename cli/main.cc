// pprl: the command line for every role. Thin: flags become option structs, commands run.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "cli/analyze_command.h"
#include "cli/demo_command.h"
#include "cli/explain_command.h"
#include "cli/linker_commands.h"
#include "cli/pseudonymise_command.h"
#include "cli/submit_command.h"

namespace {

// --certs DIR --as NAME (DIR/ca.pem, DIR/NAME.pem, DIR/NAME.key) or --ca/--cert/--key.
struct TlsFlags {
  std::string certs_dir, as, ca, cert, key, crl;
  void Add(CLI::App* cmd) {
    cmd->add_option("--certs", certs_dir, "directory with ca.pem and NAME.pem/NAME.key");
    cmd->add_option("--as", as, "certificate name in --certs (e.g. auditor, agent-police)");
    cmd->add_option("--ca", ca, "CA certificate (PEM)");
    cmd->add_option("--cert", cert, "your certificate (PEM)");
    cmd->add_option("--key", key, "your private key (PEM)");
    cmd->add_option("--crl", crl,
                    "the CA's certificate revocation list (PEM; default: DIR/crl.pem with --certs "
                    "when it exists)");
  }
  pprl::TlsFiles Files() const {
    pprl::TlsFiles f{ca, cert, key, crl};
    if (!certs_dir.empty()) {
      if (f.crl.empty() && std::filesystem::exists(certs_dir + "/crl.pem"))
        f.crl = certs_dir + "/crl.pem";
      if (f.ca.empty()) f.ca = certs_dir + "/ca.pem";
      if (f.cert.empty() && !as.empty()) f.cert = certs_dir + "/" + as + ".pem";
      if (f.key.empty() && !as.empty()) f.key = certs_dir + "/" + as + ".key";
    }
    return f;
  }
};

// The exit status of every command (README, "Exit status"; the same text is in --help).
constexpr char kExitCodes[] =
    "Exit status:\n"
    "  0  done\n"
    "  1  could not be done: a file or address unreachable, a daemon failed, no permission\n"
    "  2  invalid input or usage: a bad flag or argument, an export refused for invalid rows\n"
    "     (every error named; --skip-invalid keeps the valid rows), a bad study file\n"
    "  3  refused: the analyzer refused the study under disclosure control (report.json and\n"
    "     report.html hold the reason), or the linker refused in its present state (extracts\n"
    "     made with another key, extracts changed since the last link run)\n"
    "  4  damaged data: the audit log fails verification, a damaged extract file or store\n";

int Report(const absl::Status& status) {
  if (status.ok()) return 0;
  std::cerr << "pprl: " << status.message() << "\n";
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 2;
    case absl::StatusCode::kFailedPrecondition:
      return 3;
    case absl::StatusCode::kDataLoss:
      return 4;
    default:
      return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pprl: privacy-preserving record linkage for Veiligheidshuis studies"};
  app.require_subcommand(1);
  app.footer(kExitCodes);

  pprl::KeygenOptions keygen;
  CLI::App* keygen_cmd = app.add_subcommand("keygen", "make a new 256-bit site key (mode 0600)");
  keygen_cmd->add_option("--out", keygen.out, "key file to create")->required();

  pprl::PseudonymiseOptions pseudo;
  std::string kind_name;
  CLI::App* pseudo_cmd = app.add_subcommand(
      "pseudonymise", "turn a site export into a pseudonymised extract file (at the site)");
  pseudo_cmd->add_option("--key", pseudo.key_file, "the site key file")->required();
  pseudo_cmd->add_option("--kind", kind_name, "cases, incidents or convictions")->required();
  pseudo_cmd->add_option("--site", pseudo.site, "site name recorded in the extract");
  pseudo_cmd->add_flag("--skip-invalid", pseudo.skip_invalid,
                       "keep the valid rows of an export with bad rows");
  pseudo_cmd->add_option("--threads", pseudo.threads, "worker threads (default: one per core)");
  pseudo_cmd->add_option("input", pseudo.input, "the CSV export")->required();
  pseudo_cmd->add_option("output", pseudo.output, "the extract file to write")->required();

  // Why two rows do or do not link: at the site, with the key; nothing is sent.
  pprl::ExplainOptions explain;
  CLI::App* explain_cmd = app.add_subcommand(
      "explain",
      "show why two export rows do or do not link (data officer, at the site): both rows' "
      "normalised fields and the match-key levels they share. Runs here with the site key and "
      "sends nothing anywhere; it prints names and birth dates to this terminal only");
  explain_cmd->add_option("--key", explain.key_file, "the site key file");
  explain_cmd->add_option("--config", explain.config_file,
                          "the agent's config file (its key_file and [columns])");
  explain_cmd->add_option("--kind", explain.kind,
                          "cases, incidents or convictions (default: from each file's header)");
  explain_cmd
      ->add_option("rows", explain.rows,
                   "two rows as FILE:LINE, the line as submission errors name it (e.g. "
                   "incidents.csv:12 cases.csv:7)")
      ->required()
      ->expected(2);

  // The data officer's submission through the site agent.
  pprl::SubmitOptions submit;
  std::string submit_kind;
  TlsFlags submit_tls;
  CLI::App* submit_cmd =
      app.add_subcommand("submit", "hand an export to the site's agent (data officer)");
  submit_cmd->add_option("--agent", submit.agent, "agent address host:port")->required();
  submit_cmd
      ->add_option("--site", submit.site,
                   "the site whose agent it must be (the CN of its certificate)")
      ->required();
  submit_cmd->add_option("--kind", submit_kind, "cases, incidents or convictions")->required();
  submit_cmd->add_option("file", submit.file, "the CSV export")->required();
  submit_cmd->add_flag("--dry-run", submit.dry_run, "validate and report; upload nothing");
  submit_cmd->add_flag("--skip-invalid", submit.skip_invalid,
                       "upload the valid rows, report the bad ones");
  submit_tls.Add(submit_cmd);

  // Synthetic data, linkage quality and the one-command demo.
  std::string synth_out;
  pprl::SynthOptions synth;
  CLI::App* synth_cmd =
      app.add_subcommand("synth", "write realistic synthetic exports and a separate ground truth");
  synth_cmd->add_option("--out", synth_out, "directory to write")->required();
  synth_cmd->add_option("--seed", synth.seed, "random seed (default 2013)");
  synth_cmd->add_option("--people", synth.people, "police population (default 20000)");
  synth_cmd->add_option("--cases", synth.cases, "case subjects (default 213)");
  synth_cmd->add_option("--effect", synth.effect,
                        "true relative change after a discussion (default 0); the default "
                        "calibration applies it at 0.4x to incidents and 2.4x to convictions "
                        "(capped at -1), to match the reference study's figures");
  std::string synth_errors = "default";
  std::vector<std::string> synth_rates;
  synth_cmd->add_option("--errors", synth_errors,
                        "registration errors: default (what the demo uses), realistic (every "
                        "kind of issue 13 at a few percent, on every source) or none");
  synth_cmd->add_option("--error-rate", synth_rates,
                        "KIND=RATE, repeatable: set one kind's rate per row on every source "
                        "after --errors (kinds: surname_letter_substituted, "
                        "surname_letter_added, surname_letter_dropped, "
                        "surname_letters_transposed, first_name_changed, names_swapped, "
                        "birth_date_digit, day_month_swapped, stray_space, missing_first_name, "
                        "sound_typo, partial_initials, dropped_diacritics; namesakes per person)");
  std::string truth_file, links_file;
  CLI::App* eval_cmd = app.add_subcommand(
      "evaluate-linkage",
      "precision, recall and F1 of links.csv against a synthetic truth, overall and by error "
      "kind");
  eval_cmd->footer(
      "Pairs scored: every (case row, police row) pair. True pairs are the case and police rows "
      "of one person in the truth; found pairs those in one subject of links.csv. Case-to-case "
      "and police-to-police pairs are not scored. Rows in the truth but absent from links.csv "
      "(refused at the site, or linked to no case) keep their true pairs in the denominator, as "
      "missed. A pair counts under every error kind of either row, or under 'none'.\n"
      "The truth file (CSV, header line source,record_id,person_id,errors): source is cases, "
      "incidents or convictions; record_id the row's id in its export; person_id the person it "
      "belongs to; errors the error kinds applied to the row joined by '+' (empty: none; 'twin' "
      "and 'namesake' mark people sharing surname and birth date with another). pprl synth "
      "writes it to OUT/truth/truth.csv.");
  eval_cmd->add_option("--truth", truth_file, "truth.csv (pprl synth's OUT/truth/truth.csv)")
      ->required();
  eval_cmd->add_option("--links", links_file, "links.csv from pprl links or pprl demo")->required();
  pprl::DemoOptions demo;
  CLI::App* demo_cmd = app.add_subcommand(
      "demo", "run the whole study on this machine (synthetic data unless --data)");
  demo_cmd->add_option("--data", demo.data_dir,
                       "directory with cases.csv, incidents.csv, convictions.csv");
  demo_cmd->add_option("--out", demo.out_dir, "output directory (default pprl-demo)");
  demo_cmd->add_option("--seed", demo.synth.seed, "seed for the synthetic data");
  demo_cmd->add_option("--people", demo.synth.people, "synthetic police population");
  demo_cmd->add_option("--cases", demo.synth.cases, "synthetic case subjects");
  demo_cmd->add_flag("--skip-invalid", demo.skip_invalid,
                     "submit the exports with --skip-invalid: invalid rows are listed and left "
                     "out instead of refusing their export");
  demo_cmd->add_flag("--serve", demo.serve,
                     "keep the daemons running after the study (until Ctrl-C); addresses in "
                     "OUT/serve.env");
  demo_cmd->add_option("--effect", demo.synth.effect,
                       "true relative change after a discussion in the synthetic data (default "
                       "-0.25; 0: none), applied at 0.4x to incidents and 2.4x to convictions "
                       "(capped at -1) by the study calibration");

  // The analyst's study.
  pprl::AnalyzeOptions analyze;
  TlsFlags analyze_tls;
  CLI::App* analyze_cmd = app.add_subcommand("analyze", "run a study on the analyzer (analyst)");
  analyze_cmd->add_option("--analyzer", analyze.analyzer, "analyzer address host:port")->required();
  analyze_cmd->add_option("--study", analyze.study,
                          "study TOML file (default: the reference study)");
  analyze_cmd->add_option("--json", analyze.json_out, "write report.json here");
  analyze_cmd->add_option("--html", analyze.html_out, "write report.html here");
  analyze_tls.Add(analyze_cmd);

  // Linker commands.
  pprl::LinkerClientOptions linker;
  TlsFlags linker_tls;
  auto linker_command = [&](const char* name, const char* help) {
    CLI::App* cmd = app.add_subcommand(name, help);
    cmd->add_option("--linker", linker.linker, "linker address host:port")->required();
    linker_tls.Add(cmd);
    return cmd;
  };
  std::string upload_file, upload_client_id;
  CLI::App* upload_cmd = linker_command("upload", "upload an extract file to the linker (agent)");
  upload_cmd->add_option("file", upload_file, "extract file from pprl pseudonymise")->required();
  upload_cmd->add_option("--client-id", upload_client_id,
                         "client extract id (default: from the digest)");
  CLI::App* link_cmd = linker_command("link", "link the stored extracts into subjects (auditor)");
  CLI::App* report_cmd = linker_command("linkage-report", "the last link run's report (auditor)");
  std::string links_out = "links.csv";
  CLI::App* links_cmd =
      linker_command("links", "write links.csv for subjects with a case (auditor)");
  links_cmd->add_option("--out", links_out, "file to write (default links.csv)");
  bool links_explain = false;
  links_cmd->add_flag("--explain", links_explain,
                      "also print why each record was joined: key level, or the probabilistic "
                      "link's levels of agreement and partial weights per field (no values)");
  CLI::App* extracts_cmd = linker_command("extracts", "list or withdraw extracts");
  CLI::App* extracts_list = extracts_cmd->add_subcommand("list", "list extracts (agent: own site)");
  std::string withdraw_id;
  CLI::App* extracts_withdraw =
      extracts_cmd->add_subcommand("withdraw", "withdraw an extract (agent)");
  extracts_withdraw->add_option("extract_id", withdraw_id, "the extract id")->required();
  extracts_cmd->require_subcommand(1);
  extracts_list->fallthrough();
  extracts_withdraw->fallthrough();
  CLI::App* audit_cmd = app.add_subcommand("audit", "the signed audit log (auditor)");
  audit_cmd->require_subcommand(1);
  auto audit_linker_command = [&](const char* name, const char* help) {
    CLI::App* cmd = audit_cmd->add_subcommand(name, help);
    cmd->add_option("--linker", linker.linker, "linker address host:port")->required();
    linker_tls.Add(cmd);
    return cmd;
  };
  CLI::App* audit_show = audit_linker_command("show", "print every audit entry, page by page");
  pprl::AuditVerifyOptions audit_verify_options;
  CLI::App* audit_verify =
      audit_linker_command("verify", "check the signed Merkle log here, against your checkpoint");
  audit_verify->add_option("--log-key", audit_verify_options.log_key,
                           "the log's public key, PEM (default: audit-log.pub.pem in --certs)");
  audit_verify->add_option("--checkpoint", audit_verify_options.checkpoint,
                           "your checkpoint file: the log must extend it; updated when verified");
  audit_verify->add_option("--expect", audit_verify_options.expect,
                           "SIZE:ROOT of a tree head the log must extend");
  std::string check_report_file, check_report_key;
  CLI::App* audit_check_report = audit_cmd->add_subcommand(
      "check-report", "check offline that a report.json is in the signed audit log");
  audit_check_report->add_option("report", check_report_file, "report.json")->required();
  audit_check_report->add_option("--log-key", check_report_key, "the log's public key, PEM")
      ->required();
  std::string audit_key_out, audit_key_public;
  CLI::App* audit_keygen = audit_cmd->add_subcommand(
      "keygen", "make the linker's audit signing key (Ed25519, mode 0600) and its public key");
  audit_keygen->add_option("--out", audit_key_out, "private key file to create")->required();
  audit_keygen->add_option("--public", audit_key_public,
                           "public key file to write (default: OUT.pub.pem)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2 (as documented above).
    return app.exit(e) == 0 ? 0 : 2;
  }
  linker.tls = linker_tls.Files();
  if (synth_cmd->parsed()) {
    absl::StatusOr<pprl::ErrorModel> model = pprl::ErrorModelPreset(synth_errors);
    if (!model.ok()) return Report(model.status());
    for (const std::string& r : synth_rates) {
      absl::Status set = pprl::SetErrorRate(r, &*model);
      if (!set.ok()) return Report(set);
    }
    synth.errors = *model;
    return Report(pprl::RunSynth(synth_out, synth, std::cout));
  }
  if (eval_cmd->parsed()) {
    absl::StatusOr<pprl::LinkageQuality> q = pprl::EvaluateLinkage(truth_file, links_file);
    if (!q.ok()) return Report(q.status());
    std::cout << pprl::FormatLinkageQuality(*q);
    return 0;
  }
  if (demo_cmd->parsed()) {
    std::error_code ec;
    std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    return Report(pprl::RunDemo(demo, self.empty() ? argv[0] : self, std::cout));
  }
  if (analyze_cmd->parsed()) {
    analyze.tls = analyze_tls.Files();
    return Report(pprl::RunAnalyze(analyze, std::cout));
  }
  if (submit_cmd->parsed()) {
    absl::StatusOr<pprl::ExportKind> kind = pprl::ParseExportKind(submit_kind);
    if (!kind.ok()) return Report(kind.status());
    submit.kind = *kind;
    submit.tls = submit_tls.Files();
    return Report(pprl::RunSubmit(submit, std::cout));
  }
  if (upload_cmd->parsed())
    return Report(pprl::RunUpload(linker, upload_file, upload_client_id, std::cout));
  if (link_cmd->parsed()) return Report(pprl::RunLink(linker, std::cout));
  if (report_cmd->parsed()) return Report(pprl::RunLinkageReport(linker, std::cout));
  if (links_cmd->parsed())
    return Report(pprl::RunLinks(linker, links_out, links_explain, std::cout));
  if (extracts_list->parsed()) return Report(pprl::RunExtractsList(linker, std::cout));
  if (extracts_withdraw->parsed())
    return Report(pprl::RunExtractsWithdraw(linker, withdraw_id, std::cout));
  if (audit_show->parsed()) return Report(pprl::RunAuditShow(linker, std::cout));
  if (audit_verify->parsed()) {
    if (audit_verify_options.log_key.empty() && !linker_tls.certs_dir.empty()) {
      audit_verify_options.log_key = linker_tls.certs_dir + "/audit-log.pub.pem";
    }
    return Report(pprl::RunAuditVerify(linker, audit_verify_options, std::cout));
  }
  if (audit_check_report->parsed()) {
    return Report(pprl::RunAuditCheckReport(check_report_file, check_report_key, std::cout));
  }
  if (audit_keygen->parsed()) {
    return Report(pprl::RunAuditKeygen(audit_key_out, audit_key_public, std::cout));
  }

  if (explain_cmd->parsed()) return Report(pprl::RunExplain(explain, std::cout));
  if (keygen_cmd->parsed()) return Report(pprl::RunKeygen(keygen, std::cout));
  if (pseudo_cmd->parsed()) {
    absl::StatusOr<pprl::ExportKind> kind = pprl::ParseExportKind(kind_name);
    if (!kind.ok()) return Report(kind.status());
    pseudo.kind = *kind;
    return Report(pprl::RunPseudonymise(pseudo, std::cout));
  }
  return 1;
}
