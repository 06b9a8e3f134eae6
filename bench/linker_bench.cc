// Linker throughput and scale, each beside a baseline measured in the same run:
//  - upload: records/s through gRPC (a real pprl-linker process, mutual TLS) into RocksDB,
//    beside the same records written straight into the RocksDB store in this process;
//  - linkage: Link() over generated police and case records with real HMAC keys and field
//    encodings (cases with now and then a registration error), beside a plain sort of the same
//    number of (key, record) pairs and beside the exact cascade alone; wall time and peak memory.
//    Memory is the resident set of the whole process, inputs included (the daemon holds them
//    too): the peak of each phase apart (Linux: the high-water mark is reset before each phase
//    through /proc/self/clear_refs), plus the process's peak over the whole run, and the bytes
//    the inputs take per record (malloc's count, heap and vector together).
//  - the daemon's path: the same kind of records stored in RocksDB as uploaded, then
//    LinkerCore::RunLinkage (store -> inputs -> Link -> snapshot): the exact cascade alone (the
//    baseline), then the whole linkage with the time and peak of each phase of the run (load,
//    audit, link, subject_ids, records), then optionally a second run; its peak memory per
//    record beside the in-process linkage's (run both at one size to compare), and a digest of
//    the result (subjects, levels, links, report) to compare runs before and after a change.
//    Each phase starts from memory given back to the system (malloc_trim), so that what an
//    earlier phase freed does not hide a later one's growth.
// Usage: linker_bench [--police N] [--cases N] [--upload N] [--daemon N (police records)]
//                     [--daemon-second-run 0|1]
#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "agent/linker_uploader.h"
#include "core/field_encodings.h"
#include "core/linkage.h"
#include "linker/linker_core.h"
#include "linker/rocksdb_record_store.h"
#include "proto/extract_codec.h"
#include "service/child_process.h"
#include "service/rpc_util.h"

namespace {

using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

long PeakRssMb() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

// A line of /proc/self/status ("VmHWM", "VmRSS") in MiB; -1 if unreadable.
long StatusMb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1) / 1024;
  }
  return -1;
}

// Resets the high-water mark of the resident set to the current one (Linux >= 4.0), so the
// next PhasePeakMb() is the peak of what ran in between, whatever was held before it.
bool ResetPeak() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}
long PhasePeakMb() { return StatusMb("VmHWM"); }

size_t HeapBytes() {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;  // in use: from the heap and from mmap (large blocks)
}

// A 64-bit digest of a link result (FNV-1a over its fields), printed so that runs before and
// after a change to how the linker holds its data can be compared: the same subjects, levels
// and links give the same digest.
struct ResultHash {
  uint64_t h = 1469598103934665603ull;
  void Bytes(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  }
  template <typename T>
  void Value(const T& v) {
    Bytes(&v, sizeof v);
  }
  void Text(const std::string& s) {
    Bytes(s.data(), s.size());
    Value(s.size());
  }
  void Evidence(const pprl::LinkEvidence& e) {
    Value(e.a);
    Value(e.b);
    Value(e.weight);
    Value(e.linked);
    Value(e.twin_veto);
  }
};

uint64_t ResultDigest(const pprl::LinkageResult& r) {
  ResultHash d;
  for (size_t i = 0; i < r.subject_of.size(); ++i) {
    d.Text(r.subject_ids[r.subject_of[i]]);
    d.Value(r.joined_at_level[i]);
    d.Value(r.evidence_of[i]);
  }
  for (const pprl::LinkEvidence& e : r.evidence) d.Evidence(e);
  return d.h;
}

uint64_t SnapshotDigest(const pprl::LinkageSnapshot& s) {
  ResultHash d;
  for (const pprl::LinkedRecord& r : s.records) {
    d.Text(r.extract_id);
    d.Text(r.record_id);
    d.Text(s.subject_ids[r.subject]);
    d.Value(r.level);
    d.Value(r.evidence);
    d.Value(r.event_day);
    d.Value(r.person.gender);
    d.Value(r.person.birth_band);
    if (r.case_attributes >= 0) d.Text(s.case_attributes[r.case_attributes].kader);
    d.Text(s.attribute_values[r.category]);
    d.Text(s.attribute_values[r.role]);
  }
  for (const pprl::LinkEvidence& e : s.evidence) d.Evidence(e);
  pprl::LinkageReportData report = s.report;
  report.linked_unix_ms = 0;
  d.Text(report.ToJson().dump());
  d.Text(s.membership);
  return d.h;
}

const pprl::HmacKey& Key() {
  static auto* key =
      new pprl::HmacKey(std::move(*pprl::HmacKey::FromBytes(std::vector<uint8_t>(32, 0x33))));
  return *key;
}

// A population: surnames from a Zipf-like list, one or two initials, birth dates over 70 years.
pprl::NormalisedIdentity Person(uint32_t id) {
  std::mt19937 rng(id * 2654435761u + 17);
  pprl::NormalisedIdentity p;
  uint32_t rank = static_cast<uint32_t>(std::pow(static_cast<double>(rng() % 1000000 + 1), 0.8));
  // The rank spelled in letters (the phonetic key ignores digits).
  p.surname.clear();
  do {
    p.surname.push_back(static_cast<char>('a' + rank % 26));
    rank /= 26;
  } while (rank > 0);
  p.surname += "sen";
  // A first given name from 400 (letters spelled from its rank), its initial first.
  uint32_t name = static_cast<uint32_t>(std::pow(static_cast<double>(rng() % 160000 + 1), 0.5));
  p.first_name = std::string(1, static_cast<char>('a' + rng() % 20));
  do {
    p.first_name.push_back(static_cast<char>('a' + name % 26));
    name /= 26;
  } while (name > 0);
  p.first_name += "o";
  p.initials = p.first_name.substr(0, 1);
  if (rng() % 2) p.initials += static_cast<char>('a' + rng() % 20);
  p.birth_date = pprl::Date{1940 + static_cast<int>(rng() % 70), 1 + static_cast<int>(rng() % 12),
                            1 + static_cast<int>(rng() % 28)};
  return p;
}

// One registration error of the kinds the probabilistic stage recovers, now and then.
void Garble(std::mt19937& rng, pprl::NormalisedIdentity* p) {
  switch (rng() % 100) {
    case 0:  // a surname letter substituted
      p->surname[rng() % p->surname.size()] = static_cast<char>('a' + rng() % 26);
      break;
    case 1:  // another first name, same initial kept or not
      p->first_name = "x" + p->first_name;
      p->initials = "x";
      break;
    case 2:  // one digit of the month
      p->birth_date.month = p->birth_date.month % 12 + 1;
      break;
    case 3:  // first name missing
      p->first_name.clear();
      p->initials.clear();
      break;
    default:
      break;
  }
}

void BenchLinkage(int64_t police_records, int64_t cases) {
  const uint32_t police_people = static_cast<uint32_t>(police_records / 4);  // ~4 contacts each
  // What earlier phases (the upload, the daemon's path) freed goes back to the system first:
  // kept by malloc, it was reused by the inputs and hid their growth (an inputs figure of 3,416
  // MiB in one 10M run against 2,484 in another).
  malloc_trim(0);
  const size_t heap_before = HeapBytes();
  const long start_rss = StatusMb("VmRSS");
  std::vector<pprl::LinkInput> in;
  in.reserve(static_cast<size_t>(police_records + cases));
  std::mt19937 rng(2013);
  pprl::FieldEncoder encoder(Key());
  std::vector<pprl::MatchKey> keys_made;
  auto t0 = Clock::now();
  for (int64_t i = 0; i < police_records; ++i) {
    pprl::LinkInput r;
    r.source = i % 10 == 0 ? pprl::ExportKind::kConvictions : pprl::ExportKind::kIncidents;
    r.extract_id = r.source == pprl::ExportKind::kConvictions ? "HKS" : "BVH";
    r.record_id = std::to_string(i);
    pprl::NormalisedIdentity p = Person(rng() % police_people);
    if (rng() % 20 == 0) {  // a missing initial now and then
      p.initials.clear();
      p.first_name.clear();
    }
    // Copied as the linker copies them from its store (exact size, no growth slack).
    keys_made.clear();
    pprl::ComputeMatchKeys(Key(), p, &keys_made);
    r.keys = keys_made;
    encoder.Encode(p, &r.encodings);
    in.push_back(std::move(r));
  }
  for (int64_t c = 0; c < cases; ++c) {
    pprl::LinkInput r;
    r.source = pprl::ExportKind::kCases;
    r.extract_id = "GCOS";
    r.record_id = "C" + std::to_string(c);
    // 70% of case subjects are known to the police.
    uint32_t id = c % 10 < 7 ? static_cast<uint32_t>(rng() % police_people)
                             : police_people + static_cast<uint32_t>(c);
    pprl::NormalisedIdentity p = Person(id);
    Garble(rng, &p);
    keys_made.clear();
    pprl::ComputeMatchKeys(Key(), p, &keys_made);
    r.keys = keys_made;
    encoder.Encode(p, &r.encodings);
    in.push_back(std::move(r));
  }
  double generate = Since(t0);
  const double bytes_per_record =
      static_cast<double>(HeapBytes() - heap_before) / static_cast<double>(in.size());
  const long inputs_rss = StatusMb("VmRSS");
  size_t keys = 0;
  for (const pprl::LinkInput& r : in) keys += r.keys.size();

  // The exact cascade alone (as before the probabilistic stage), then the whole linkage; each
  // phase's peak taken apart, the inputs held throughout.
  const bool phase_peaks = ResetPeak();
  double cascade_seconds;
  long cascade_rss;
  int64_t cascade_subjects;
  {
    pprl::LinkOptions cascade_only;
    cascade_only.probabilistic = false;
    auto t = Clock::now();
    pprl::LinkageResult r = pprl::Link(in, cascade_only);
    cascade_seconds = Since(t);
    cascade_subjects = r.counts.subjects;
  }
  cascade_rss = phase_peaks ? PhasePeakMb() : PeakRssMb();
  malloc_trim(0);
  ResetPeak();
  auto t1 = Clock::now();
  pprl::LinkageResult result = pprl::Link(in);
  double link_seconds = Since(t1);
  const long link_rss = phase_peaks ? PhasePeakMb() : PeakRssMb();

  // Baseline: one sort of as many (key, record) pairs as Link() sorts in all (after the
  // linkage, so its 20 bytes a key do not count in the linkage's peak).
  struct Entry {
    std::array<uint8_t, pprl::kMatchKeyBytes> d;
    uint32_t r;
    bool operator<(const Entry& o) const { return std::tie(d, r) < std::tie(o.d, o.r); }
  };
  double sort_seconds;
  {
    std::vector<Entry> entries;
    entries.reserve(keys);
    auto t = Clock::now();
    for (uint32_t i = 0; i < in.size(); ++i) {
      for (const pprl::MatchKey& k : in[i].keys) entries.push_back(Entry{k.digest, i});
    }
    std::sort(entries.begin(), entries.end());
    sort_seconds = Since(t);
  }
  std::printf("linkage_records %zu\nlinkage_keys %zu\ngenerate_seconds %.1f\n", in.size(), keys,
              generate);
  std::printf(
      "sizeof_link_input %zu\ninput_bytes_per_record %.0f\ninputs_rss_mb %ld\n"
      "phase_peaks_measured %d\n",
      sizeof(pprl::LinkInput), bytes_per_record, inputs_rss, phase_peaks ? 1 : 0);
  std::printf(
      "cascade_only_seconds %.2f\ncascade_only_peak_rss_mb %ld\ncascade_only_subjects %lld\n",
      cascade_seconds, cascade_rss, static_cast<long long>(cascade_subjects));
  std::printf(
      "linkage_seconds %.2f\nlinkage_peak_rss_mb %ld\nlinkage_peak_bytes_per_record %.0f\n",
      link_seconds, link_rss,
      static_cast<double>(link_rss - start_rss) * 1048576.0 / static_cast<double>(in.size()));
  std::printf(
      "ratio_link_to_cascade_only %.2f\ncandidate_pairs %lld\nprobabilistic_links %lld\n"
      "possible_links %lld\ntwin_vetoes %lld\nem_estimated %d\n",
      link_seconds / cascade_seconds, static_cast<long long>(result.counts.candidate_pairs),
      static_cast<long long>(result.counts.probabilistic_links),
      static_cast<long long>(result.counts.possible_links),
      static_cast<long long>(result.counts.twin_vetoes), result.parameters.estimated ? 1 : 0);
  std::printf("sort_baseline_seconds %.2f\nratio_link_to_sort %.2f\n", sort_seconds,
              link_seconds / sort_seconds);
  std::printf(
      "linkage_subjects %lld\nlinkage_ambiguous_keys %lld\nlinkage_result_digest %016llx\n"
      "process_peak_rss_mb %ld\n",
      static_cast<long long>(result.counts.subjects),
      static_cast<long long>(result.counts.ambiguous_keys),
      static_cast<unsigned long long>(ResultDigest(result)), PeakRssMb());
}

// The daemon's path at the linker: RocksDB store -> LinkerCore::RunLinkage.
void BenchDaemon(int64_t police_records, int64_t cases, bool second_run, const std::string& work) {
  auto store = pprl::OpenRocksDbRecordStore(work + "/daemon", [] { return int64_t{0}; });
  if (!store.ok()) {
    std::fprintf(stderr, "cannot open the daemon store\n");
    return;
  }
  const uint32_t police_people = static_cast<uint32_t>(police_records / 4);
  std::mt19937 rng(2013);
  pprl::FieldEncoder encoder(Key());
  auto identity = [&](pprl::NormalisedIdentity p, pprl::PseudonymousRecord* r) {
    pprl::ComputeMatchKeys(Key(), p, &r->keys);
    encoder.Encode(p, &r->encodings);
  };
  auto store_extract = [&](pprl::ExportKind kind, const std::string& site, int64_t n,
                           const std::function<pprl::PseudonymousRecord(int64_t)>& make) {
    std::vector<pprl::PseudonymousRecord> records;
    records.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) records.push_back(make(i));
    pprl::ExtractInfo info;
    info.site = site;
    info.client_extract_id = std::string(pprl::ExportKindName(kind));
    info.kind = kind;
    info.key_id = Key().KeyId();
    info.record_count = records.size();
    pprl::RecordDigester d;
    for (const auto& r : records) d.Add(kind, r);
    info.content_digest = d.HexDigest();
    auto w = (*store)->BeginExtract(info);
    if (!w.ok()) {
      std::fprintf(stderr, "begin failed: %s\n", std::string(w.status().message()).c_str());
      return;
    }
    for (size_t i = 0; i < records.size(); i += 4096) {
      std::vector<pprl::PseudonymousRecord> chunk(
          records.begin() + i, records.begin() + std::min(records.size(), i + 4096));
      (void)(*w)->Add(chunk);
    }
    auto outcome = (*w)->Commit();
    if (!outcome.ok()) std::fprintf(stderr, "commit failed\n");
  };
  auto police = [&](pprl::ExportKind kind) {
    return [&, kind](int64_t i) {
      pprl::PseudonymousRecord r;
      r.kind = kind;
      r.record_id = std::to_string(i);
      r.event_day = 15700 + static_cast<int>(rng() % 365);
      pprl::NormalisedIdentity p = Person(rng() % police_people);
      if (rng() % 20 == 0) {
        p.initials.clear();
        p.first_name.clear();
      }
      identity(p, &r);
      if (kind == pprl::ExportKind::kIncidents) {
        r.incident_attributes.category = "misdrijf";
        r.incident_attributes.role = "verdachte";
      }
      r.person.gender = rng() % 2 ? 'm' : 'v';
      r.person.birth_band = pprl::BirthBand(p.birth_date.year);
      return r;
    };
  };
  store_extract(pprl::ExportKind::kIncidents, "police", police_records - police_records / 10,
                police(pprl::ExportKind::kIncidents));
  store_extract(pprl::ExportKind::kConvictions, "justice", police_records / 10,
                police(pprl::ExportKind::kConvictions));
  store_extract(pprl::ExportKind::kCases, "gcos", cases, [&](int64_t c) {
    pprl::PseudonymousRecord r;
    r.kind = pprl::ExportKind::kCases;
    r.record_id = "C" + std::to_string(c);
    r.event_day = 16000;
    uint32_t id = c % 10 < 7 ? static_cast<uint32_t>(rng() % police_people)
                             : police_people + static_cast<uint32_t>(c);
    pprl::NormalisedIdentity p = Person(id);
    Garble(rng, &p);
    identity(p, &r);
    r.case_attributes.age = 30;
    r.case_attributes.gender = 'm';
    r.case_attributes.kader = "jeugd";
    return r;
  });
  malloc_trim(0);
  pprl::LinkerCore core(store->get(), [] { return int64_t{0}; });
  const long store_rss = StatusMb("VmRSS");
  const int64_t records = police_records + cases;
  auto per_record = [&](long mb) {
    return static_cast<double>(mb - store_rss) * 1048576.0 / static_cast<double>(records);
  };
  // The exact cascade alone through the same path: the baseline of this run's times.
  pprl::LinkOptions cascade_only;
  cascade_only.probabilistic = false;
  core.set_link_options(cascade_only);
  ResetPeak();
  auto t = Clock::now();
  auto cascade = core.RunLinkage();
  const double cascade_seconds = Since(t);
  const long cascade_peak = PhasePeakMb();
  core.set_link_options(pprl::LinkOptions());
  // The whole linkage, each phase of the run apart (time, peak, resident at its end).
  struct Phase {
    std::string name;
    double seconds;
    long peak_mb, end_mb;
  };
  std::vector<Phase> phases;
  auto phase_start = Clock::now();
  core.set_phase_observer([&](std::string_view name) {
    phases.push_back({std::string(name), Since(phase_start), PhasePeakMb(), StatusMb("VmRSS")});
    ResetPeak();
    phase_start = Clock::now();
  });
  malloc_trim(0);
  ResetPeak();
  long first_peak = 0;
  t = phase_start = Clock::now();
  auto first = core.RunLinkage();
  const double first_seconds = Since(t);
  for (const Phase& p : phases) first_peak = std::max(first_peak, p.peak_mb);
  first_peak = std::max(first_peak, PhasePeakMb());
  const std::vector<Phase> first_phases = phases;
  auto first_snapshot = core.Snapshot();
  const uint64_t first_digest = first_snapshot.ok() ? SnapshotDigest(**first_snapshot) : 0;
  first_snapshot = absl::UnknownError("let go");
  if (!cascade.ok() || !first.ok()) std::fprintf(stderr, "daemon link run failed\n");
  std::printf("daemon_records %lld\ndaemon_store_rss_mb %ld\n", static_cast<long long>(records),
              store_rss);
  std::printf("daemon_cascade_only_seconds %.2f\ndaemon_cascade_only_peak_rss_mb %ld\n",
              cascade_seconds, cascade_peak);
  std::printf(
      "daemon_link_seconds %.2f\ndaemon_peak_rss_mb %ld\ndaemon_peak_bytes_per_record %.0f\n"
      "daemon_ratio_link_to_cascade_only %.2f\n",
      first_seconds, first_peak, per_record(first_peak), first_seconds / cascade_seconds);
  for (const Phase& p : first_phases) {
    std::printf(
        "daemon_phase_%s_seconds %.2f\ndaemon_phase_%s_peak_rss_mb %ld\n"
        "daemon_phase_%s_peak_bytes_per_record %.0f\ndaemon_phase_%s_end_rss_mb %ld\n",
        p.name.c_str(), p.seconds, p.name.c_str(), p.peak_mb, p.name.c_str(), per_record(p.peak_mb),
        p.name.c_str(), p.end_mb);
  }
  std::printf("daemon_subjects %lld\ndaemon_result_digest %016llx\n",
              first.ok() ? static_cast<long long>(first->subjects) : -1LL,
              static_cast<unsigned long long>(first_digest));
  if (!second_run) return;
  // A second run (the first run's snapshot is let go before it), without trimming first.
  ResetPeak();
  phases.clear();
  t = phase_start = Clock::now();
  auto second = core.RunLinkage();
  const double second_seconds = Since(t);
  long second_peak = PhasePeakMb();
  for (const Phase& p : phases) second_peak = std::max(second_peak, p.peak_mb);
  auto second_snapshot = core.Snapshot();
  const uint64_t second_digest = second_snapshot.ok() ? SnapshotDigest(**second_snapshot) : 0;
  if (!second.ok()) std::fprintf(stderr, "daemon second link run failed\n");
  std::printf(
      "daemon_second_run_seconds %.2f\ndaemon_second_run_peak_rss_mb %ld\n"
      "daemon_second_run_bytes_per_record %.0f\ndaemon_second_run_same_result %d\n",
      second_seconds, second_peak, per_record(second_peak), first_digest == second_digest ? 1 : 0);
}

std::vector<pprl::PseudonymousRecord> UploadRecords(int n) {
  std::vector<pprl::PseudonymousRecord> out;
  std::mt19937 rng(5);
  for (int i = 0; i < n; ++i) {
    pprl::PseudonymousRecord r;
    r.kind = pprl::ExportKind::kIncidents;
    r.record_id = "BVH" + std::to_string(i);
    r.event_day = 15700 + static_cast<int>(rng() % 365);
    pprl::ComputeMatchKeys(Key(), Person(static_cast<uint32_t>(rng())), &r.keys);
    r.incident_attributes.category = "misdrijf";
    r.incident_attributes.role = "verdachte";
    out.push_back(std::move(r));
  }
  return out;
}

void BenchUpload(int n, const std::string& work) {
  std::vector<pprl::PseudonymousRecord> records = UploadRecords(n);
  const std::string key_id = Key().KeyId();
  // Baseline: straight into the RocksDB store, same chunks.
  double direct;
  {
    auto store = pprl::OpenRocksDbRecordStore(work + "/direct", [] { return int64_t{0}; });
    pprl::ExtractInfo info;
    info.site = "police";
    info.client_extract_id = "bench";
    info.kind = pprl::ExportKind::kIncidents;
    info.key_id = key_id;
    info.record_count = records.size();
    pprl::RecordDigester d;
    for (const auto& r : records) d.Add(info.kind, r);
    info.content_digest = d.HexDigest();
    auto t = Clock::now();
    auto w = (*store)->BeginExtract(info);
    for (size_t i = 0; i < records.size(); i += 4096) {
      std::vector<pprl::PseudonymousRecord> chunk(
          records.begin() + i, records.begin() + std::min(records.size(), i + 4096));
      (void)(*w)->Add(chunk);
    }
    auto outcome = (*w)->Commit();
    direct = Since(t);
    if (!outcome.ok()) std::fprintf(stderr, "direct commit failed\n");
  }
  // Through gRPC into a real pprl-linker.
  std::string certs = work + "/certs";
  std::system((std::string(PPRL_SOURCE_DIR) + "/deploy/make-dev-certs.sh " + certs + " >/dev/null")
                  .c_str());
  pprl::DaemonProcess linker(PPRL_LINKER_BIN,
                             {"--listen", "127.0.0.1:0", "--data-dir", work + "/db", "--tls-ca",
                              certs + "/ca.pem", "--tls-cert", certs + "/linker.pem", "--tls-key",
                              certs + "/linker.key", "--allow-agent", "police=police:incidents"},
                             work + "/port", work + "/linker.log");
  auto channel = pprl::OpenChannel(
      linker.address(),
      {certs + "/ca.pem", certs + "/agent-police.pem", certs + "/agent-police.key"},
      {pprl::Role::kLinker, ""});
  auto stub = pprl::v1::Linker::NewStub(*channel);
  std::vector<pprl::v1::PseudonymisedRecord> wire(records.size());
  for (size_t i = 0; i < records.size(); ++i) pprl::ToProto(records[i], &wire[i]);
  pprl::v1::ExtractHeader header;
  header.set_kind(pprl::v1::INCIDENTS);
  header.set_key_id(key_id);
  header.set_site("police");
  auto t = Clock::now();
  auto receipt = pprl::UploadExtract(*stub, header, wire);
  double grpc_seconds = Since(t);
  if (!receipt.ok())
    std::fprintf(stderr, "upload failed: %s\n", std::string(receipt.status().message()).c_str());
  std::printf(
      "upload_records %d\nupload_grpc_records_per_s %.0f\nupload_direct_records_per_s %.0f\n"
      "ratio_grpc_to_direct %.2f\n",
      n, n / grpc_seconds, n / direct, direct / grpc_seconds);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t police = 10000000, cases = 100000;
  int upload = 1000000;
  int64_t daemon = 0;
  bool daemon_second_run = true;
  // An unknown flag or a flag without its number is a usage error, not a 10M-record run
  // (`--help` used to start the whole bench).
  auto usage = [&] {
    std::fprintf(stderr,
                 "usage: %s [--police N] [--cases N] [--upload N] [--daemon N] "
                 "[--daemon-second-run 0|1]\n"
                 "defaults: --police 10000000 --cases 100000 --upload 1000000 --daemon 0 "
                 "--daemon-second-run 1 (0 skips a part)\n",
                 argv[0]);
    return 2;
  };
  for (int i = 1; i < argc; i += 2) {
    const char* flag = argv[i];
    if (i + 1 >= argc) return usage();
    char* end = nullptr;
    const long long v = std::strtoll(argv[i + 1], &end, 10);
    if (end == argv[i + 1] || *end != '\0' || v < 0) return usage();
    if (!std::strcmp(flag, "--police")) {
      police = v;
    } else if (!std::strcmp(flag, "--cases")) {
      cases = v;
    } else if (!std::strcmp(flag, "--upload")) {
      upload = static_cast<int>(v);
    } else if (!std::strcmp(flag, "--daemon")) {
      daemon = v;
    } else if (!std::strcmp(flag, "--daemon-second-run")) {
      daemon_second_run = v != 0;
    } else {
      return usage();
    }
  }
  std::string work =
      std::filesystem::temp_directory_path() / ("pprl_linker_bench_" + std::to_string(getpid()));
  std::filesystem::create_directories(work);
  if (upload > 0) BenchUpload(upload, work);
  // The daemon's path with as many cases per police record as the in-process linkage (one
  // in a hundred without it).
  if (daemon > 0)
    BenchDaemon(daemon, police > 0 ? cases * daemon / police : daemon / 100, daemon_second_run,
                work);
  malloc_trim(0);  // what the daemon's path freed is not the in-process linkage's
  std::filesystem::remove_all(work);
  if (police > 0) BenchLinkage(police, cases);
  return 0;
}
