// Quarantine write cost: entries written per second and the latency one
// write adds to a quarantine verdict (the milter answers only once the
// entry is durable), for 10 KB, 100 KB and 5 MB messages; the 5 MB one
// sits in a file-backed spool as in the daemon. Every write is fsynced,
// renamed and its directory fsynced, and indexed in quarantine.db.
//
// Baseline in the same run: the same bytes written in the clear with
// write + fsync + rename + directory fsync, so that what encryption and
// indexing add is the difference.
//
// The directory is a fresh one under $PRIVMILTER_BENCH_DIR (default /tmp):
// point it at the file system the quarantine will live on.

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "privmilter/file_io.h"
#include "privmilter/quarantine.h"
#include "privmilter/unique_fd.h"

namespace {

using namespace privmilter;

constexpr std::size_t kSpoolThreshold = std::size_t{1} << 20;  // the daemon's default

class BenchDirectory {
 public:
  BenchDirectory() {
    const char* base = std::getenv("PRIVMILTER_BENCH_DIR");
    std::string pattern = (std::filesystem::path(base ? base : "/tmp") / "privmilter-qbench.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~BenchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string message_of(std::size_t size) {
  std::string message =
      "From: alice@examplelaw.com\r\nTo: bob@client.example\r\nSubject: Draft settlement\r\n\r\n"
      "PRIVILEGED & CONFIDENTIAL\r\n";
  const std::string line = "Our position on the settlement figure is as follows, subject to review.\r\n";
  while (message.size() < size) message += line;
  message.resize(size);
  return message;
}

Verdict quarantine_verdict() {
  Verdict verdict;
  verdict.action = Action::quarantine;
  verdict.deciding_rule = "privileged-unencrypted-external";
  FiredRule rule;
  rule.rule_id = verdict.deciding_rule;
  rule.action = Action::quarantine;
  rule.recipients = {"bob@client.example"};
  Evidence evidence;
  evidence.rule_id = rule.rule_id;
  evidence.detector = "list:privilege_markings";
  evidence.location = "1 text/plain";
  evidence.masked_match = "PRI*********************AL";
  rule.evidence.push_back(evidence);
  verdict.fired.push_back(rule);
  return verdict;
}

SecretKey bench_key() {
  std::array<unsigned char, SecretKey::kSize> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i * 13 + 5);
  return SecretKey(bytes);
}

void BM_QuarantineWrite(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  BenchDirectory directory;
  QuarantineStore store(directory.path() / "quarantine", bench_key());
  if (auto opened = store.open(); !opened) {
    state.SkipWithError(opened.error().message.c_str());
    return;
  }
  MessageSpool spool(directory.path() / "spool", kSpoolThreshold);
  if (!spool.append(message_of(size))) {
    state.SkipWithError("spool append failed");
    return;
  }
  Envelope envelope;
  envelope.sender = "alice@examplelaw.com";
  envelope.recipients = {"bob@client.example"};
  const Verdict verdict = quarantine_verdict();
  std::size_t sequence = 0;
  for (auto _ : state) {
    const std::string id = "bench-" + std::to_string(sequence++);
    if (auto stored = store.store(id, envelope, verdict, spool, std::chrono::system_clock::now()); !stored) {
      state.SkipWithError(stored.error().message.c_str());
      break;
    }
    state.PauseTiming();
    ::unlink((directory.path() / "quarantine" / (id + ".pmq")).c_str());
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
  state.counters["writes/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(spool.in_memory() ? "spool in memory" : "spool in a file");
}

// The same bytes in the clear: write, fsync, rename, directory fsync.
void BM_PlaintextWriteBaseline(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  BenchDirectory directory;
  const std::string message = message_of(size);
  std::size_t sequence = 0;
  for (auto _ : state) {
    const auto final_path = directory.path() / ("plain-" + std::to_string(sequence++) + ".eml");
    const auto temporary = final_path.string() + ".tmp";
    UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid() || !write_all(fd.get(), message) || ::fsync(fd.get()) != 0 ||
        ::rename(temporary.c_str(), final_path.c_str()) != 0 || !fsync_directory(directory.path())) {
      state.SkipWithError("plaintext write failed");
      break;
    }
    state.PauseTiming();
    ::unlink(final_path.c_str());
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
  state.counters["writes/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_QuarantineWrite)->Arg(10 << 10)->Arg(100 << 10)->Arg(5 << 20)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PlaintextWriteBaseline)
    ->Arg(10 << 10)
    ->Arg(100 << 10)
    ->Arg(5 << 20)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
