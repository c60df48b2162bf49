// Reading the chain's records for query and report. No MAC check here
// (that is verify_audit_log's job, and reading needs no key).

#include "audit_chain.h"
#include "audit_files.h"
#include "privmilter/audit.h"

namespace privmilter {

Result<std::vector<nlohmann::json>> read_audit_records(const std::filesystem::path& path) {
  auto lock = audit::LogLock::acquire(path, false);
  if (!lock) return lock.error();
  std::vector<std::filesystem::path> files = audit::rotated_files(path);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) files.push_back(path);
  if (files.empty()) return make_error("no audit log at " + path.string());

  std::vector<nlohmann::json> records;
  for (const auto& file : files) {
    auto content = audit::read_whole_file(file);
    if (!content) return content.error();
    const std::vector<audit::Line> lines = audit::split_lines(*content);
    std::optional<nlohmann::json> next;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      // A partial last line is a write in progress or not yet recovered.
      if (!lines[i].complete) break;
      auto record = next ? std::move(*next) : audit::parse_line(lines[i].text);
      next.reset();
      if (i + 1 < lines.size() && lines[i + 1].complete) {
        next = audit::parse_line(lines[i + 1].text);
        // The remains of an interrupted write, named by the record after it.
        if (audit::names_damage(*next, lines[i].offset, lines[i].text)) continue;
      }
      if (record.is_discarded()) {
        return make_error(file.string() + ":" + std::to_string(lines[i].number) + ": not a JSON record");
      }
      records.push_back(std::move(record));
    }
  }
  return records;
}

}  // namespace privmilter
