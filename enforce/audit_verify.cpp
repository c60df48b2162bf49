// Verification of the whole chain: every file in order, every record's MAC
// and bytes, seq and prev continuity across files, and the chain's end
// against the head file. Reports the first bad record.

#include <optional>
#include <string>
#include <vector>

#include "audit_chain.h"
#include "audit_files.h"
#include "privmilter/audit.h"

namespace privmilter {

namespace {

using audit::Line;
using audit::split_lines;

// A partial line left by an interrupted write, closed and described by the
// "recovered" record the writer put right after it.
bool is_recorded_damage(const Line& line, const Line* next) {
  return next != nullptr && next->complete && audit::names_damage(audit::parse_line(next->text), line.offset, line.text);
}

class ChainWalk {
 public:
  ChainWalk(const SecretKey& key, std::optional<audit::Head> head, AuditVerification& result)
      : key_(key), head_(std::move(head)), result_(result) {}

  // False once a problem is found (recorded in the result).
  bool walk_file(const std::filesystem::path& file, std::string_view content, bool first_file) {
    const auto lines = split_lines(content);
    last_file_ = file;
    last_file_lines_ = lines.size();
    bool skipping_damage = false;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const Line& line = lines[i];
      if (!line.complete) {
        return fail(file, line.number, "partial last line (" + std::to_string(line.text.size()) +
                                           " bytes without a newline): an interrupted write or a truncated log");
      }
      const Line* next = i + 1 < lines.size() ? &lines[i + 1] : nullptr;
      if (is_recorded_damage(line, next)) {
        result_.notes.push_back(file.string() + ":" + std::to_string(line.number) +
                                ": partial record from an interrupted write, recorded by the next line");
        skipping_damage = true;
        continue;
      }
      const auto record = audit::parse_line(line.text);
      if (record.is_discarded()) return fail(file, line.number, "not a JSON record");
      auto link = audit::check_record(record, line.text, key_);
      if (!link) return fail(file, line.number, link.error().message + wrong_key_hint(link.error().message));
      const std::string type = record.value("type", "");
      if (type == "recovered" && !skipping_damage) {
        return fail(file, line.number, "recovered record names a damaged line that is not there");
      }
      skipping_damage = false;
      if (auto problem = continuity_problem(*link, line.number == 1 && !first_file, first_file && line.number == 1)) {
        return fail(file, line.number, *problem);
      }
      if (type == "rotate" && line.number == 1 && !first_file) {
        if (record.value("previous", "") != previous_file_.filename().string()) {
          return fail(file, line.number,
                      "rotate record names previous file " + record.value("previous", "?") + ", which is missing");
        }
      }
      expected_seq_ = link->seq + 1;
      expected_prev_ = link->mac;
      if (head_ && link->seq == head_->seq) mac_at_head_seq_ = link->mac;
      ++result_.records;
      result_.last_seq = link->seq;
    }
    previous_file_ = file;
    return true;
  }

  void check_end(const std::filesystem::path& head_file) {
    if (!head_) {
      if (result_.records > 0) {
        fail(head_file, 0, "head file missing: records cut off the end of the log cannot be ruled out");
      }
      return;
    }
    if (!head_->authentic) {
      fail(head_file, 1, "head file MAC mismatch: changed, or written with another key");
      return;
    }
    if (head_->seq > result_.last_seq) {
      fail(last_file_, last_file_lines_ + 1,
           "log truncated: the chain ends at seq " + std::to_string(result_.last_seq) +
               " but the head file records seq " + std::to_string(head_->seq) + " (" +
               std::to_string(head_->seq - result_.last_seq) + " records missing at the end)");
      return;
    }
    if (head_->seq > 0 && mac_at_head_seq_ != head_->mac) {
      fail(head_file, 1, "head file does not match record seq " + std::to_string(head_->seq));
      return;
    }
    if (head_->seq < result_.last_seq) {
      result_.notes.push_back("the head file records seq " + std::to_string(head_->seq) + ", " +
                              std::to_string(result_.last_seq - head_->seq) +
                              " records before the chain's end (a write interrupted before the head was updated)");
    }
  }

 private:
  std::optional<std::string> continuity_problem(const audit::ChainLink& link, bool starts_later_file,
                                                bool starts_chain) const {
    if (link.seq != expected_seq_) {
      const std::string numbers = "expected " + std::to_string(expected_seq_) + ", found " + std::to_string(link.seq);
      if (starts_chain) return "the chain does not start at seq 1 (" + numbers + "): records or files before it are missing";
      if (link.seq < expected_seq_) return "sequence out of order: " + numbers + " (records inserted, replayed or reordered)";
      if (starts_later_file) return "sequence gap between files: " + numbers + " (a rotated file is missing)";
      return "sequence gap: " + numbers + " (records removed)";
    }
    if (link.prev != expected_prev_) return std::string("chain broken: prev is not the MAC of the record before");
    return std::nullopt;
  }

  std::string wrong_key_hint(const std::string& problem) const {
    if (problem.rfind("MAC mismatch", 0) != 0 || !head_ || head_->key_fingerprint.empty() ||
        head_->key_fingerprint == key_.fingerprint()) {
      return {};
    }
    return " (the head file names key " + head_->key_fingerprint + "; verifying with key " + key_.fingerprint() + ")";
  }

  bool fail(const std::filesystem::path& file, std::size_t line, std::string problem) {
    result_.ok = false;
    result_.file = file;
    result_.line = line;
    result_.problem = std::move(problem);
    return false;
  }

  const SecretKey& key_;
  std::optional<audit::Head> head_;
  AuditVerification& result_;
  std::uint64_t expected_seq_ = 1;
  std::string expected_prev_{audit::kGenesis};
  std::optional<std::string> mac_at_head_seq_;
  std::filesystem::path previous_file_;
  std::filesystem::path last_file_;
  std::size_t last_file_lines_ = 0;
};

}  // namespace

Result<AuditVerification> verify_audit_log(const std::filesystem::path& path, const SecretKey& key) {
  auto lock = audit::LogLock::acquire(path, false);
  if (!lock) return lock.error();
  std::vector<std::filesystem::path> files = audit::rotated_files(path);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) files.push_back(path);
  const auto head_file = audit::head_path(path);
  const bool head_present = std::filesystem::exists(head_file, ec);
  if (files.empty() && !head_present) return make_error("no audit log at " + path.string());

  AuditVerification result;
  std::optional<audit::Head> head;
  if (head_present) {
    auto content = audit::read_whole_file(head_file);
    if (!content) return content.error();
    auto decoded = audit::decode_head(*content, key);
    if (!decoded) {
      result.ok = false;
      result.file = head_file;
      result.line = 1;
      result.problem = decoded.error().message;
      return result;
    }
    head = *decoded;
  }
  ChainWalk walk(key, head, result);
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto content = audit::read_whole_file(files[i]);
    if (!content) return content.error();
    ++result.files;
    if (!walk.walk_file(files[i], *content, i == 0)) return result;
  }
  walk.check_end(head_file);
  return result;
}

}  // namespace privmilter
