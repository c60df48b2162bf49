#pragma once
// The load benchmark's results: one cell per (milter, socket, size, kind,
// connections), printed as Markdown tables (and JSON) with privmilter's
// ratios against the null milter measured in the same run.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "bench/load_driver.h"
#include "bench/load_messages.h"
#include "bench/load_processes.h"

namespace privmilter::bench {

struct Cell {
  std::string milter;
  SocketKind socket = SocketKind::unix_socket;
  std::size_t nominal_bytes = 0;
  MessageKind kind = MessageKind::plain;
  std::size_t message_bytes = 0;
  int connections = 0;
  DriveResult result;
};

std::string format_outcomes(const DriveResult& result);
std::string format_progress_line(const Cell& cell);

class Report {
 public:
  explicit Report(std::string machine_state_before) : machine_before_(std::move(machine_state_before)) {}
  void add(Cell cell) { cells_.push_back(std::move(cell)); }
  void set_machine_state_after(std::string state) { machine_after_ = std::move(state); }

  std::string markdown() const;
  nlohmann::json json() const;

 private:
  const Cell* find(const std::string& milter, const Cell& like) const;
  std::string ratio_table() const;

  std::string machine_before_;
  std::string machine_after_;
  std::vector<Cell> cells_;
};

}  // namespace privmilter::bench
