// pprl: the command line for every role. Thin: flags become option structs, commands run.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/pseudonymise_command.h"

namespace {

int Report(const absl::Status& status) {
  if (status.ok()) return 0;
  std::cerr << "pprl: " << status.message() << "\n";
  return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pprl: privacy-preserving record linkage for Veiligheidshuis studies"};
  app.require_subcommand(1);

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

  CLI11_PARSE(app, argc, argv);

  if (keygen_cmd->parsed()) return Report(pprl::RunKeygen(keygen, std::cout));
  if (pseudo_cmd->parsed()) {
    absl::StatusOr<pprl::ExportKind> kind = pprl::ParseExportKind(kind_name);
    if (!kind.ok()) return Report(kind.status());
    pseudo.kind = *kind;
    return Report(pprl::RunPseudonymise(pseudo, std::cout));
  }
  return 1;
}
