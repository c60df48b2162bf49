// Audit log appends per second at 1, 8 and 64 appending threads, and the
// latency an append adds (p50/p99 per thread, averaged over the threads),
// against the same line written with O_APPEND and an fdatasync per record
// (what group commit saves) and with no sync at all (the floor).
//
// The log lives in $PRIVMILTER_BENCH_DIR or the temporary directory: put it
// on the file system the daemon will use, since fdatasync dominates.

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "privmilter/audit.h"

namespace {

using privmilter::AuditLog;
using privmilter::AuditLogOptions;
using privmilter::SecretKey;

std::filesystem::path bench_directory() {
  const char* chosen = std::getenv("PRIVMILTER_BENCH_DIR");
  std::string pattern =
      ((chosen != nullptr ? std::filesystem::path(chosen) : std::filesystem::temp_directory_path()) /
       "privmilter-audit-bench.XXXXXX")
          .string();
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  return pattern;
}

// A typical decision record: two recipients, one rule, one piece of evidence.
nlohmann::json sample_event(std::int64_t i) {
  return {{"type", "decision"},
          {"ref", "20261128T163301Z-" + std::to_string(1000000 + i)},
          {"queue_id", "4ABC123"},
          {"sender", "alice@examplelaw.com"},
          {"recipients", {"bob@client.example", "carol@client.example"}},
          {"action", "quarantine"},
          {"disposition", "discard"},
          {"rules", {"privileged-unencrypted-external"}},
          {"evidence",
           {{{"rule", "privileged-unencrypted-external"},
             {"detector", "list:privilege_markings"},
             {"where", "1 text/plain"},
             {"match", "Priv***********ent"},
             {"offset", 12},
             {"count", 1}}}}};
}

std::string sample_line() {
  auto event = sample_event(0);
  event["time"] = "2026-11-28T16:33:01.123Z";
  event["seq"] = 123456;
  event["prev"] = std::string(64, 'a');
  event["mac"] = std::string(64, 'b');
  return event.dump() + "\n";
}

void report_latency(benchmark::State& state, std::vector<double>& micros) {
  if (micros.empty()) return;
  std::sort(micros.begin(), micros.end());
  auto at = [&micros](double q) { return micros[static_cast<std::size_t>(q * static_cast<double>(micros.size() - 1))]; };
  state.counters["p50_us"] = benchmark::Counter(at(0.50), benchmark::Counter::kAvgThreads);
  state.counters["p99_us"] = benchmark::Counter(at(0.99), benchmark::Counter::kAvgThreads);
}

struct Shared {
  std::filesystem::path directory;
  std::unique_ptr<AuditLog> log;
  int fd = -1;
};
Shared shared;

template <typename Append>
void run_appends(benchmark::State& state, Append&& append) {
  std::vector<double> micros;
  std::int64_t i = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    append(i++);
    micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
  }
  state.SetItemsProcessed(state.iterations());
  report_latency(state, micros);
}

void BM_AuditAppend(benchmark::State& state) {
  if (state.thread_index() == 0) {
    shared.directory = bench_directory();
    std::array<unsigned char, SecretKey::kSize> bytes{};
    bytes.fill(0x5a);
    AuditLogOptions options;
    options.path = shared.directory / "audit.log";
    options.key = SecretKey(bytes);
    shared.log = std::make_unique<AuditLog>(std::move(options));
    if (!shared.log->open().ok()) state.SkipWithError("cannot open the audit log");
  }
  const std::uint64_t commits_before = state.thread_index() == 0 && shared.log ? shared.log->commits() : 0;
  run_appends(state, [](std::int64_t i) {
    if (!shared.log->append(sample_event(i)).ok()) std::abort();
  });
  if (state.thread_index() == 0) {
    // Records per fdatasync: what group commit shares.
    const auto commits = shared.log->commits() - commits_before;
    if (commits > 0) {
      state.counters["records_per_sync"] =
          static_cast<double>(state.iterations() * state.threads()) / static_cast<double>(commits);
    }
    shared.log.reset();
    std::filesystem::remove_all(shared.directory);
  }
}

template <bool kSync>
void BM_PlainAppend(benchmark::State& state) {
  if (state.thread_index() == 0) {
    shared.directory = bench_directory();
    shared.fd = ::open((shared.directory / "plain.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (shared.fd < 0) state.SkipWithError("cannot open the plain log");
  }
  const std::string line = sample_line();
  run_appends(state, [&line](std::int64_t) {
    if (::write(shared.fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) std::abort();
    if (kSync && ::fdatasync(shared.fd) != 0) std::abort();
  });
  if (state.thread_index() == 0) {
    ::close(shared.fd);
    std::filesystem::remove_all(shared.directory);
  }
}

void BM_PlainAppendFdatasync(benchmark::State& state) { BM_PlainAppend<true>(state); }
void BM_PlainAppendNoSync(benchmark::State& state) { BM_PlainAppend<false>(state); }

BENCHMARK(BM_AuditAppend)->Threads(1)->Threads(8)->Threads(64)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_PlainAppendFdatasync)->Threads(1)->Threads(8)->Threads(64)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_PlainAppendNoSync)->Threads(1)->Threads(8)->Threads(64)->UseRealTime()->MinTime(0.5);

}  // namespace

BENCHMARK_MAIN();
