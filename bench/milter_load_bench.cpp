// milter_load_bench: privmilter under load against a null milter measured
// in the same run. Starts the real daemon (shipped configuration and
// policy, fresh keys, state in a private directory) and
// privmilter-null-milter in its naive and lean modes, drives each with N
// concurrent connections of the project's milter client playing Postfix,
// and prints a Markdown table per socket kind: messages/s, verdict latency,
// milter CPU per message, peak RSS, round trips per message, outcomes.
// --soak sends a fixed number of messages and prints the resident set
// every 10%. See docs/BENCHMARKS.md.

#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/load_driver.h"
#include "bench/load_messages.h"
#include "bench/load_processes.h"
#include "bench/load_report.h"
#include "support/child_process.h"

namespace {

using namespace privmilter::bench;

struct Settings {
  BinaryPaths paths{PRIVMILTER_DAEMON_PATH, PRIVMILTERCTL_PATH, PRIVMILTER_NULL_MILTER_PATH,
                    PRIVMILTER_SOURCE_DIR "/config"};
  std::vector<std::string> milters{"privmilter", "privmilter-asio", "null-naive", "null-lean"};
  std::vector<std::string> sizes{"1k", "10k", "100k", "5m"};
  std::vector<std::string> kinds{"plain", "html", "docx", "pdf"};
  std::vector<int> connections{1, 8, 64};
  std::string socket = "unix";
  double duration_seconds = 3;
  double warmup_seconds = 0.5;
  std::uint64_t min_messages = 10;
  double max_duration_seconds = 180;
  int messages_per_connection = 1;
  double rate = 0;
  std::size_t marked_every = 0;
  std::uint64_t soak = 0;
  std::string json_path;
  std::string write_message;
  bool keep = false;
};

std::string read_line(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

std::string machine_state() {
  utsname system{};
  uname(&system);
  char date[64];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::ostringstream out;
  out << date << ", " << sysconf(_SC_NPROCESSORS_ONLN) << " CPUs (" << cpu_model() << "), Linux "
      << system.release << ", load average " << read_line("/proc/loadavg").substr(0, 14);
  return out.str();
}

std::vector<std::unique_ptr<MilterUnderTest>> start_milters(const Settings& settings, SocketKind socket,
                                                            const std::filesystem::path& work) {
  std::vector<std::unique_ptr<MilterUnderTest>> milters;
  for (const auto& name : settings.milters) {
    const auto directory = work / (name + "-" + std::string(to_string(socket)));
    std::filesystem::create_directories(directory);
    auto started = name == "privmilter"         ? start_privmilter(settings.paths, "libmilter", socket, directory)
                   : name == "privmilter-asio" ? start_privmilter(settings.paths, "asio", socket, directory)
                                               : start_null_milter(settings.paths, name.substr(5), socket, directory);
    if (!started) throw std::runtime_error("cannot start " + name + ": " + started.error().message);
    std::cerr << "started " << name << " (pid " << started->process->pid() << ") on " << started->address << "\n";
    milters.push_back(std::make_unique<MilterUnderTest>(std::move(*started)));
  }
  return milters;
}

DriveOptions drive_options(const Settings& settings, const MilterUnderTest& milter, const TestMessage& message,
                           const TestMessage& marked, int connections) {
  DriveOptions options;
  options.address = milter.address;
  options.milter_pid = milter.process->pid();
  options.message = &message;
  options.marked = &marked;
  options.marked_every = settings.marked_every;
  options.connections = connections;
  options.messages_per_connection = settings.messages_per_connection;
  options.rate = settings.rate;
  options.warmup = std::chrono::milliseconds(static_cast<long>(settings.warmup_seconds * 1000));
  options.duration = std::chrono::milliseconds(static_cast<long>(settings.duration_seconds * 1000));
  options.min_messages = settings.min_messages;
  options.max_duration = std::chrono::milliseconds(static_cast<long>(settings.max_duration_seconds * 1000));
  return options;
}

int run_matrix(const Settings& settings, const std::vector<SocketKind>& sockets, const std::filesystem::path& work) {
  Report report(machine_state());
  std::map<std::pair<std::size_t, MessageKind>, std::pair<TestMessage, TestMessage>> messages;
  for (const SocketKind socket : sockets) {
    auto milters = start_milters(settings, socket, work);
    for (const auto& size_text : settings.sizes) {
      const std::size_t size = *parse_size(size_text);
      for (const auto& kind_text : settings.kinds) {
        const MessageKind kind = *parse_message_kind(kind_text);
        auto& pair = messages[{size, kind}];
        if (pair.first.raw.empty()) pair = {make_test_message(kind, size, false), make_test_message(kind, size, true)};
        for (const int connections : settings.connections) {
          for (const auto& milter : milters) {
            const DriveResult result =
                drive(drive_options(settings, *milter, pair.first, pair.second, connections));
            Cell cell{milter->name, socket, size, kind, pair.first.raw.size(), connections, result};
            std::cerr << format_progress_line(cell) << std::endl;
            report.add(std::move(cell));
            if (!milter->process->running()) {
              throw std::runtime_error(milter->name + " died:\n" + milter->process->log_tail());
            }
          }
        }
      }
    }
  }
  report.set_machine_state_after(machine_state());
  if (settings.rate > 0) std::cout << "Offered load: " << settings.rate << " messages/s per cell (open loop)\n";
  std::cout << report.markdown();
  if (!settings.json_path.empty()) std::ofstream(settings.json_path) << report.json().dump(2) << "\n";
  return 0;
}

int run_soak(const Settings& settings, SocketKind socket, const std::filesystem::path& work) {
  const std::size_t size = *parse_size(settings.sizes.front());
  const MessageKind kind = *parse_message_kind(settings.kinds.front());
  const TestMessage message = make_test_message(kind, size, false);
  const TestMessage marked = make_test_message(kind, size, true);
  std::cout << "Soak: " << settings.soak << " messages of " << size_label(size) << " " << to_string(kind)
            << " at " << settings.connections.front() << " connections over " << to_string(socket) << "\n"
            << machine_state() << "\n\n";
  auto milters = start_milters(settings, socket, work);
  for (const auto& milter : milters) {
    std::cout << "| " << milter->name << " | messages | RSS MiB | peak RSS MiB | threads | msgs/s |\n"
              << "|---|---|---|---|---|---|\n";
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t next_report = 0;
    auto print_row = [&](std::uint64_t completed) {
      const auto usage = process_usage(milter->process->pid());
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (!usage) return;
      char row[200];
      std::snprintf(row, sizeof(row), "| %llu%% | %llu | %.1f | %.1f | %llu | %.0f |\n",
                    static_cast<unsigned long long>(completed * 100 / settings.soak),
                    static_cast<unsigned long long>(completed), usage->rss_kib / 1024.0,
                    usage->peak_rss_kib / 1024.0, static_cast<unsigned long long>(usage->threads),
                    seconds > 0 ? static_cast<double>(completed) / seconds : 0.0);
      std::cout << row << std::flush;
    };
    print_row(0);
    next_report = settings.soak / 10;
    DriveOptions options = drive_options(settings, *milter, message, marked, settings.connections.front());
    options.message_budget = settings.soak;
    options.on_progress = [&](std::uint64_t completed) {
      while (next_report > 0 && completed >= next_report && next_report <= settings.soak) {
        print_row(completed);
        next_report += settings.soak / 10;
      }
    };
    const DriveResult result = drive(options);
    std::cout << "\n" << milter->name << ": " << result.messages << " messages in " << result.seconds
              << " s, errors " << result.errors << (result.first_error.empty() ? "" : " (" + result.first_error + ")")
              << ", outcomes " << format_outcomes(result) << "\n\n";
  }
  return 0;
}

void write_message(const Settings& settings) {
  const auto size = parse_size(settings.sizes.front());
  const auto kind = parse_message_kind(settings.kinds.front());
  std::string raw = make_test_message(*kind, *size, settings.marked_every == 1).raw;
  // smtp-source -F ends every line with CRLF itself.
  std::string lines;
  lines.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;
    lines += raw[i];
  }
  std::ofstream(settings.write_message, std::ios::binary) << lines;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  CLI::App app{"Load benchmark: privmilter against privmilter-null-milter (naive and lean) in the same run"};
  app.add_option("--privmilter", settings.paths.privmilter, "privmilter daemon binary")->capture_default_str();
  app.add_option("--privmilterctl", settings.paths.privmilterctl, "privmilterctl binary")->capture_default_str();
  app.add_option("--null-milter", settings.paths.null_milter, "privmilter-null-milter binary")
      ->capture_default_str();
  app.add_option("--config-dir", settings.paths.config_dir, "configuration folder to copy (privmilter.yaml, policy, ...)")
      ->capture_default_str();
  app.add_option("--milters", settings.milters, "privmilter (libmilter engine), privmilter-asio, null-naive, null-lean")
      ->delimiter(',')
      ->check(CLI::IsMember({"privmilter", "privmilter-asio", "null-naive", "null-lean"}))
      ->capture_default_str();
  app.add_option("--sizes", settings.sizes, "nominal message sizes (1k, 10k, 100k, 5m)")
      ->delimiter(',')
      ->check([](const std::string& text) { return parse_size(text) ? "" : "not a size: " + text; })
      ->capture_default_str();
  app.add_option("--kinds", settings.kinds, "plain, html, docx, pdf")
      ->delimiter(',')
      ->check(CLI::IsMember({"plain", "html", "docx", "pdf"}))
      ->capture_default_str();
  app.add_option("--connections", settings.connections, "concurrent connections")
      ->delimiter(',')
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--socket", settings.socket, "unix, inet or both")
      ->check(CLI::IsMember({"unix", "inet", "both"}))
      ->capture_default_str();
  app.add_option("--duration", settings.duration_seconds, "measured seconds per cell")->capture_default_str();
  app.add_option("--warmup", settings.warmup_seconds, "unmeasured seconds before each cell")->capture_default_str();
  app.add_option("--min-messages", settings.min_messages,
                 "a cell measures at least this many messages (and 3 per connection), past --duration if need be")
      ->capture_default_str();
  app.add_option("--max-duration", settings.max_duration_seconds, "but no cell measures longer than this")
      ->capture_default_str();
  app.add_option("--messages-per-connection", settings.messages_per_connection,
                 "messages per milter connection (Postfix: one connection per SMTP session)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--rate", settings.rate,
                 "offered load in messages/s for all connections together (open loop); 0: as fast as answered")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--marked-every", settings.marked_every,
                 "every Nth message carries a privilege marking (the shipped policy quarantines it); 0: none")
      ->capture_default_str();
  app.add_option("--soak", settings.soak,
                 "send this many messages (first size, kind and connection count) and print RSS every 10%");
  app.add_option("--json", settings.json_path, "also write the results as JSON to this file");
  app.add_option("--write-message", settings.write_message,
                 "write the message of the first size and kind to this file (LF lines, for smtp-source -F) "
                 "and exit; --marked-every 1 writes the marked one");
  app.add_flag("--keep", settings.keep, "keep the working directory (logs, audit, quarantine)");
  CLI11_PARSE(app, argc, argv);
  stop_children_when_interrupted();

  try {
    if (!settings.write_message.empty()) {
      write_message(settings);
      return 0;
    }
    if (settings.soak != 0 && app.count("--milters") == 0) settings.milters = {"privmilter"};
    auto work = privmilter::miltertest::TempDirectory::create("milter-load-bench");
    if (!work) throw std::runtime_error(work.error().message);
    std::vector<SocketKind> sockets;
    if (settings.socket != "inet") sockets.push_back(SocketKind::unix_socket);
    if (settings.socket != "unix") sockets.push_back(SocketKind::inet);
    const int status = settings.soak != 0 ? run_soak(settings, sockets.front(), work->path())
                                          : run_matrix(settings, sockets, work->path());
    if (settings.keep) {
      const auto kept = work->path().string() + ".kept";
      std::filesystem::rename(work->path(), kept);
      std::filesystem::create_directories(work->path());
      std::cerr << "kept " << kept << "\n";
    }
    return status;
  } catch (const std::exception& error) {
    std::cerr << "milter_load_bench: " << error.what() << "\n";
    return 1;
  }
}
