#include "bench/load_report.h"

#include <cstdio>
#include <sstream>

namespace privmilter::bench {
namespace {

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

// About three significant digits; whole numbers from 100 up.
std::string significant(double value) {
  if (value >= 100) return fixed(value, 0);
  if (value >= 10) return fixed(value, 1);
  if (value >= 1) return fixed(value, 2);
  return fixed(value, 3);
}

std::string bytes_label(std::size_t bytes) {
  if (bytes >= (1u << 20)) return fixed(static_cast<double>(bytes) / (1u << 20), 1) + " MiB";
  return fixed(static_cast<double>(bytes) / 1024, 1) + " KiB";
}

}  // namespace

std::string format_outcomes(const DriveResult& result) {
  std::string text;
  for (const auto& [outcome, count] : result.outcomes) {
    if (!text.empty()) text += ", ";
    text += outcome + " " + std::to_string(count);
  }
  if (result.errors != 0) text += (text.empty() ? "" : ", ") + std::string("errors ") + std::to_string(result.errors);
  return text.empty() ? "-" : text;
}

std::string format_progress_line(const Cell& cell) {
  const auto& r = cell.result;
  std::string line = cell.milter + " " + std::string(to_string(cell.socket)) + " " +
                     size_label(cell.nominal_bytes) + " " + std::string(to_string(cell.kind)) + " x" +
                     std::to_string(cell.connections) + ": " + significant(r.messages_per_second()) +
                     " msgs/s, p50 " + significant(r.latency_percentile_ms(0.5)) + " ms, p99 " +
                     significant(r.latency_percentile_ms(0.99)) + " ms, max " +
                     significant(r.latency_percentile_ms(1.0)) + " ms, CPU " +
                     significant(r.milter_cpu_us_per_message()) + " us/msg, RT " +
                     significant(r.round_trips_per_message()) + ", " + format_outcomes(r);
  if (!r.first_error.empty()) line += " [first error: " + r.first_error + "]";
  return line;
}

const Cell* Report::find(const std::string& milter, const Cell& like) const {
  for (const auto& cell : cells_) {
    if (cell.milter == milter && cell.socket == like.socket && cell.nominal_bytes == like.nominal_bytes &&
        cell.kind == like.kind && cell.connections == like.connections) {
      return &cell;
    }
  }
  return nullptr;
}

std::string Report::markdown() const {
  std::ostringstream out;
  out << "Machine at start: " << machine_before_ << "\n"
      << "Machine at end:   " << machine_after_ << "\n\n";
  for (const SocketKind socket : {SocketKind::unix_socket, SocketKind::inet}) {
    bool any = false;
    for (const auto& cell : cells_) any = any || cell.socket == socket;
    if (!any) continue;
    out << "### " << (socket == SocketKind::unix_socket ? "Unix socket" : "TCP (loopback)") << "\n\n"
        << "| milter | size | kind | bytes | conns | msgs/s | p50 ms | p99 ms | max ms | CPU µs/msg "
           "| RSS start → peak | RT/msg | outcomes |\n"
        << "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& cell : cells_) {
      if (cell.socket != socket) continue;
      const auto& r = cell.result;
      out << "| " << cell.milter << " | " << size_label(cell.nominal_bytes) << " | " << to_string(cell.kind)
          << " | " << cell.message_bytes << " | " << cell.connections << " | " << significant(r.messages_per_second())
          << " | " << significant(r.latency_percentile_ms(0.5)) << " | " << significant(r.latency_percentile_ms(0.99))
          << " | " << significant(r.latency_percentile_ms(1.0)) << " | " << significant(r.milter_cpu_us_per_message())
          << " | " << bytes_label(r.milter_before.rss_kib * 1024) << " → "
          << bytes_label(r.milter_after.peak_rss_kib * 1024) << " | "
          << significant(r.round_trips_per_message()) << " | " << format_outcomes(r) << " |\n";
    }
    out << "\n";
  }
  out << ratio_table();
  return out.str();
}

std::string Report::ratio_table() const {
  std::ostringstream out;
  bool header = false;
  for (const auto& cell : cells_) {
    if (!cell.milter.starts_with("privmilter")) continue;
    const Cell* naive = find("null-naive", cell);
    const Cell* lean = find("null-lean", cell);
    if (naive == nullptr && lean == nullptr) continue;
    if (!header) {
      out << "### privmilter against the null milters (same run)\n\n"
          << "| milter | socket | size | kind | conns | msgs/s ÷ naive | msgs/s ÷ lean | CPU/msg ÷ naive | CPU/msg ÷ lean |\n"
          << "|---|---|---|---|---|---|---|---|---|\n";
      header = true;
    }
    auto ratio = [](double a, double b) { return b > 0 ? fixed(a / b, 2) : std::string("-"); };
    const auto& p = cell.result;
    out << "| " << cell.milter << " | " << to_string(cell.socket) << " | " << size_label(cell.nominal_bytes) << " | "
        << to_string(cell.kind) << " | " << cell.connections << " | "
        << (naive ? ratio(p.messages_per_second(), naive->result.messages_per_second()) : "-") << " | "
        << (lean ? ratio(p.messages_per_second(), lean->result.messages_per_second()) : "-") << " | "
        << (naive ? ratio(p.milter_cpu_us_per_message(), naive->result.milter_cpu_us_per_message()) : "-")
        << " | "
        << (lean ? ratio(p.milter_cpu_us_per_message(), lean->result.milter_cpu_us_per_message()) : "-")
        << " |\n";
  }
  if (header) out << "\n";
  return out.str();
}

nlohmann::json Report::json() const {
  nlohmann::json cells = nlohmann::json::array();
  for (const auto& cell : cells_) {
    const auto& r = cell.result;
    cells.push_back({
        {"milter", cell.milter},
        {"socket", to_string(cell.socket)},
        {"nominal_bytes", cell.nominal_bytes},
        {"kind", to_string(cell.kind)},
        {"message_bytes", cell.message_bytes},
        {"connections", cell.connections},
        {"messages", r.messages},
        {"seconds", r.seconds},
        {"messages_per_second", r.messages_per_second()},
        {"latency_ms", {{"p50", r.latency_percentile_ms(0.5)},
                        {"p99", r.latency_percentile_ms(0.99)},
                        {"max", r.latency_percentile_ms(1.0)}}},
        {"milter_cpu_us_per_message", r.milter_cpu_us_per_message()},
        {"milter_rss_at_start_kib", r.milter_before.rss_kib},
        {"milter_peak_rss_kib", r.milter_after.peak_rss_kib},
        {"milter_threads", r.milter_after.threads},
        {"client_cpu_seconds", r.client_cpu_seconds},
        {"round_trips_per_message", r.round_trips_per_message()},
        {"outcomes", r.outcomes},
        {"errors", r.errors},
        {"first_error", r.first_error},
    });
  }
  return {{"machine_before", machine_before_}, {"machine_after", machine_after_}, {"cells", cells}};
}

}  // namespace privmilter::bench
