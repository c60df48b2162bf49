#include "bench/load_driver.h"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "support/milter_client.h"

namespace privmilter::bench {
namespace {

using Clock = std::chrono::steady_clock;
using miltertest::MilterClient;
using miltertest::ModificationKind;
using miltertest::Reply;
using miltertest::ReplyKind;
using miltertest::Stage;

constexpr const char* kSender = "jdoe@examplelaw.com";
constexpr const char* kRecipient = "partner@globex-litigators.example";

// Postfix 3.7's default macro lists (postconf -d milter_*_macros), by
// SMFIM_* index: connect, helo, mail, rcpt, data, end of message, end of headers.
const std::array<const char*, 7> kPostfixMacroLists = {
    "j {daemon_name} {daemon_addr} v _",
    "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}",
    "i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}",
    "i {rcpt_addr} {rcpt_host} {rcpt_mailer}",
    "i",
    "i",
    "i",
};

// What this Postfix session defines: an authenticated firm user over a
// plain connection. Undefined macros ({auth_author}, TLS) are not sent,
// and "i" is defined from the first RCPT on (smtpd_delay_open_until_valid_rcpt).
const std::map<std::string, std::string> kSessionMacros = {
    {"j", "mx.examplelaw.com"},
    {"{daemon_name}", "mx.examplelaw.com"},
    {"{daemon_addr}", "10.0.0.25"},
    {"{daemon_port}", "587"},
    {"v", "Postfix 3.7.11"},
    {"_", "client.example.net [192.0.2.25]"},
    {"{client_addr}", "192.0.2.25"},
    {"{client_name}", "client.example.net"},
    {"{client_ptr}", "client.example.net"},
    {"{client_port}", "40025"},
    {"{client_connections}", "1"},
    {"{auth_type}", "PLAIN"},
    {"{auth_authen}", "jdoe"},
    {"{mail_addr}", kSender},
    {"{mail_host}", "examplelaw.com"},
    {"{mail_mailer}", "smtp"},
    {"{rcpt_addr}", kRecipient},
    {"{rcpt_host}", "globex-litigators.example"},
    {"{rcpt_mailer}", "smtp"},
};

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

// The macro names Postfix sends at each stage on one connection: the
// milter's requested list for that stage, else Postfix's default.
struct MacroPlan {
  std::array<std::vector<std::string>, 7> names;

  explicit MacroPlan(const miltertest::Negotiation& negotiation) {
    for (std::uint32_t stage = 0; stage < names.size(); ++stage) {
      const auto requested = negotiation.requested_macros.find(stage);
      names[stage] = words(requested != negotiation.requested_macros.end() ? requested->second
                                                                           : kPostfixMacroLists[stage]);
    }
  }

  miltertest::MacroList values(std::uint32_t stage, const std::string* queue_id) const {
    miltertest::MacroList list;
    for (const auto& name : names[stage]) {
      if (name == "i") {
        if (queue_id != nullptr) list.emplace_back(name, *queue_id);
        continue;
      }
      const auto value = kSessionMacros.find(name);
      if (value != kSessionMacros.end()) list.emplace_back(name, value->second);
    }
    return list;
  }
};

struct Transaction {
  Stage decided_at = Stage::eom;
  std::string outcome;
  std::optional<double> latency_ms;  // only when decided at end of message
};

std::string outcome_of(const Reply& verdict, const std::vector<miltertest::Modification>& modifications) {
  std::string outcome(miltertest::to_string(verdict.kind));
  if (verdict.kind == ReplyKind::replycode && !verdict.text.empty()) outcome += " " + verdict.text.substr(0, 3);
  std::array<bool, 9> seen{};
  for (const auto& modification : modifications) {
    const auto index = static_cast<std::size_t>(modification.kind);
    if (seen[index]) continue;
    seen[index] = true;
    switch (modification.kind) {
      case ModificationKind::add_header:
      case ModificationKind::insert_header:
      case ModificationKind::change_header: outcome += "+header"; break;
      case ModificationKind::delete_recipient: outcome += "+delrcpt"; break;
      case ModificationKind::replace_body: outcome += "+body"; break;
      case ModificationKind::quarantine: outcome += "+quarantine"; break;
      default: outcome += "+" + std::string(miltertest::to_string(modification.kind)); break;
    }
  }
  return outcome;
}

// A stage that ends the transaction early: Postfix aborts it.
Result<Transaction> stopped_at(MilterClient& client, Stage stage, const Reply& reply) {
  if (Status aborted = client.abort(); !aborted) return aborted.error();
  return Transaction{stage, std::string(miltertest::to_string(stage)) + ":" + outcome_of(reply, {}), std::nullopt};
}

Result<Transaction> send_transaction(MilterClient& client, const MacroPlan& plan, const TestMessage& message,
                                     const std::string& queue_id, const std::string& message_id) {
  if (Status sent = client.macros(SMFIC_MAIL, plan.values(SMFIM_ENVFROM, nullptr)); !sent) return sent.error();
  auto reply = client.mail_from(kSender, {"SIZE=" + std::to_string(message.raw.size()), "BODY=8BITMIME"});
  if (!reply) return reply.error();
  if (!reply->proceeds()) return stopped_at(client, Stage::mail, *reply);
  if (Status sent = client.macros(SMFIC_RCPT, plan.values(SMFIM_ENVRCPT, &queue_id)); !sent) return sent.error();
  reply = client.rcpt_to(kRecipient);
  if (!reply) return reply.error();
  if (!reply->proceeds()) return stopped_at(client, Stage::rcpt, *reply);
  if (Status sent = client.macros(SMFIC_DATA, plan.values(SMFIM_DATA, &queue_id)); !sent) return sent.error();
  reply = client.data();
  if (!reply) return reply.error();
  if (!reply->proceeds()) return stopped_at(client, Stage::data, *reply);
  const auto& headers = message.split.headers;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    reply = client.header(headers[i].name, i == message.message_id_index ? message_id : headers[i].value);
    if (!reply) return reply.error();
    if (!reply->proceeds()) return stopped_at(client, Stage::header, *reply);
  }
  if (Status sent = client.macros(SMFIC_EOH, plan.values(SMFIM_EOH, &queue_id)); !sent) return sent.error();
  reply = client.end_of_headers();
  if (!reply) return reply.error();
  if (!reply->proceeds()) return stopped_at(client, Stage::eoh, *reply);
  reply = client.body(message.split.body);
  if (!reply) return reply.error();
  if (!reply->proceeds()) return stopped_at(client, Stage::body, *reply);
  if (Status sent = client.macros(SMFIC_BODYEOB, plan.values(SMFIM_EOM, &queue_id)); !sent) return sent.error();
  auto result = client.end_of_message();
  if (!result) return result.error();
  const auto replied = Clock::now();
  const std::chrono::duration<double, std::milli> latency = replied - client.last_sent_at();
  return Transaction{Stage::eom, outcome_of(result->verdict, result->modifications), latency.count()};
}

double cpu_seconds_of_this_process() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// What one connection thread saw; merged when all have finished.
struct Tally {
  std::uint64_t messages = 0;
  std::uint64_t errors = 0;
  std::string first_error;
  std::vector<double> latencies_ms;
  std::uint64_t round_trips = 0;
  std::map<std::string, std::uint64_t> outcomes;
};

struct SharedState {
  explicit SharedState(const DriveOptions& drive_options) : options(drive_options) {}
  const DriveOptions& options;
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> issued{0};
  std::atomic<std::uint64_t> completed{0};
  std::atomic<std::uint64_t> counted{0};  // completed inside the window
  // The main thread opens and closes the window.
  std::atomic<Clock::rep> window_start{Clock::time_point::max().time_since_epoch().count()};
  std::atomic<Clock::rep> window_end{Clock::time_point::max().time_since_epoch().count()};

  bool in_window(Clock::time_point when) const {
    const auto ticks = when.time_since_epoch().count();
    return ticks >= window_start.load(std::memory_order_relaxed) &&
           ticks < window_end.load(std::memory_order_relaxed);
  }
};

// Spaces one connection's messages to its share of the offered rate. A
// connection that falls behind starts at once and does not catch up in a
// burst.
class Pacer {
 public:
  Pacer(const DriveOptions& options, int thread_index) {
    if (options.rate <= 0) return;
    interval_ = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(options.connections / options.rate));
    next_ = Clock::now() + interval_ * thread_index / options.connections;
  }

  void wait_for_turn() {
    if (interval_ == Clock::duration::zero()) return;
    const auto now = Clock::now();
    if (now < next_) std::this_thread::sleep_until(next_);
    next_ = std::max(next_, now - interval_) + interval_;
  }

 private:
  Clock::duration interval_ = Clock::duration::zero();
  Clock::time_point next_;
};

void run_connection_thread(SharedState& shared, int thread_index, Tally& tally) {
  const DriveOptions& options = shared.options;
  Pacer pacer(options, thread_index);
  miltertest::ClientOptions client_options;
  client_options.timeout = std::chrono::seconds(60);
  std::uint64_t serial = 0;
  auto note_error = [&](const std::string& message) {
    if (shared.in_window(Clock::now())) ++tally.errors;
    if (tally.first_error.empty()) tally.first_error = message;
  };
  while (!shared.stop.load(std::memory_order_relaxed)) {
    pacer.wait_for_turn();
    auto opened = MilterClient::open(options.address, client_options);
    if (!opened) {
      note_error("connect: " + opened.error().message);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    MilterClient& client = **opened;
    const MacroPlan plan(client.negotiation());
    std::uint64_t accounted_round_trips = 0;
    if (Status sent = client.macros(SMFIC_CONNECT, plan.values(SMFIM_CONNECT, nullptr)); !sent) {
      note_error(sent.error().message);
      continue;
    }
    auto reply = client.connect("client.example.net", SMFIA_INET, 40025, "192.0.2.25");
    if (reply && reply->proceeds()) reply = client.helo("client.example.net");
    if (!reply) {
      note_error("connect/helo: " + reply.error().message);
      continue;
    }
    if (!reply->proceeds()) {
      ++tally.outcomes["session:" + outcome_of(*reply, {})];
      continue;
    }
    for (int m = 0; m < options.messages_per_connection && !shared.stop.load(std::memory_order_relaxed); ++m) {
      if (m > 0) pacer.wait_for_turn();
      const std::uint64_t number = shared.issued.fetch_add(1, std::memory_order_relaxed);
      if (options.message_budget != 0 && number >= options.message_budget) {
        shared.stop = true;
        break;
      }
      const bool marked = options.marked != nullptr && options.marked_every != 0 &&
                          number % options.marked_every == options.marked_every - 1;
      char queue_id[32];
      std::snprintf(queue_id, sizeof(queue_id), "4Z%02X%010llX", thread_index & 0xff,
                    static_cast<unsigned long long>(serial++));
      const std::string message_id = std::string("<bench.") + queue_id + "@examplelaw.com>";
      auto transaction =
          send_transaction(client, plan, marked ? *options.marked : *options.message, queue_id, message_id);
      if (!transaction) {
        note_error(transaction.error().message);
        break;
      }
      const auto done = Clock::now();
      const std::uint64_t round_trips = client.round_trips();
      shared.completed.fetch_add(1, std::memory_order_relaxed);
      if (shared.in_window(done)) {
        shared.counted.fetch_add(1, std::memory_order_relaxed);
        ++tally.messages;
        tally.round_trips += round_trips - accounted_round_trips;
        ++tally.outcomes[transaction->outcome];
        if (transaction->latency_ms) tally.latencies_ms.push_back(*transaction->latency_ms);
      }
      accounted_round_trips = round_trips;
    }
    (void)client.quit();
  }
}

}  // namespace

double DriveResult::milter_cpu_us_per_message() const {
  if (messages == 0) return 0;
  return (milter_after.cpu_seconds - milter_before.cpu_seconds) * 1e6 / static_cast<double>(messages);
}

double DriveResult::round_trips_per_message() const {
  return messages == 0 ? 0 : static_cast<double>(round_trips) / static_cast<double>(messages);
}

double DriveResult::latency_percentile_ms(double fraction) const {
  if (latencies_ms.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(latencies_ms.size())));
  return latencies_ms[std::clamp<std::size_t>(rank, 1, latencies_ms.size()) - 1];
}

DriveResult drive(const DriveOptions& options) {
  SharedState shared(options);
  const bool by_budget = options.message_budget != 0;
  const auto start = Clock::now();
  const auto hard_limit = start + options.warmup + std::max(options.duration, options.max_duration);

  DriveResult result;
  double client_cpu_before = 0;
  Clock::time_point window_opened;
  auto open_window = [&] {
    if (auto usage = process_usage(options.milter_pid)) result.milter_before = *usage;
    (void)reset_peak_rss(options.milter_pid);
    client_cpu_before = cpu_seconds_of_this_process();
    window_opened = Clock::now();
    shared.window_start = window_opened.time_since_epoch().count();
  };
  if (by_budget) open_window();

  std::vector<Tally> tallies(static_cast<std::size_t>(options.connections));
  std::vector<std::thread> threads;
  for (int i = 0; i < options.connections; ++i) {
    threads.emplace_back(run_connection_thread, std::ref(shared), i, std::ref(tallies[static_cast<std::size_t>(i)]));
  }
  Clock::time_point window_closed;
  if (by_budget) {
    while (shared.completed.load() < options.message_budget && !shared.stop.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (options.on_progress) options.on_progress(shared.completed.load());
      if (!process_usage(options.milter_pid)) {
        result.first_error = "the milter process is gone";
        shared.stop = true;
      }
    }
    // The last messages may still be in flight after stop; wait for them.
    for (auto& thread : threads) thread.join();
    threads.clear();
    window_closed = Clock::now();
  } else {
    // Measure from a steady state: after the warm-up, and not before every
    // connection has finished a message (they all start at once).
    std::this_thread::sleep_until(start + options.warmup);
    const auto connections = static_cast<std::uint64_t>(options.connections);
    while (shared.completed.load() < connections && Clock::now() < hard_limit) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    open_window();
    // Messages in flight when the window opens and closes blur the CPU
    // per message; several per connection keep that small.
    const std::uint64_t wanted = std::max(options.min_messages, 3 * connections);
    std::this_thread::sleep_until(window_opened + options.duration);
    while (shared.counted.load() < wanted && Clock::now() < hard_limit) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    window_closed = Clock::now();
    shared.window_end = window_closed.time_since_epoch().count();
  }
  if (auto usage = process_usage(options.milter_pid)) result.milter_after = *usage;
  result.client_cpu_seconds = cpu_seconds_of_this_process() - client_cpu_before;
  shared.stop = true;
  for (auto& thread : threads) thread.join();

  result.seconds = std::chrono::duration<double>(window_closed - window_opened).count();
  for (auto& tally : tallies) {
    result.messages += tally.messages;
    result.errors += tally.errors;
    if (result.first_error.empty()) result.first_error = tally.first_error;
    result.round_trips += tally.round_trips;
    result.latencies_ms.insert(result.latencies_ms.end(), tally.latencies_ms.begin(), tally.latencies_ms.end());
    for (const auto& [outcome, count] : tally.outcomes) result.outcomes[outcome] += count;
  }
  std::sort(result.latencies_ms.begin(), result.latencies_ms.end());
  return result;
}

}  // namespace privmilter::bench
