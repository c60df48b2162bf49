#include "policy_test_case.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "privmilter/strings.h"

namespace privmilter::tools {
namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{64} << 20;

// Unwinds to load_policy_test_file, which turns it into a located Error.
class TestFileError : public std::runtime_error {
 public:
  TestFileError(const YAML::Mark& mark, const std::string& message) : std::runtime_error(message), mark_(mark) {}
  const YAML::Mark& mark() const { return mark_; }

 private:
  YAML::Mark mark_;
};

[[noreturn]] void fail_at(const YAML::Node& node, const std::string& message) { throw TestFileError(node.Mark(), message); }

std::string located(const fs::path& file, const YAML::Mark& mark, const std::string& message) {
  if (mark.is_null()) return file.string() + ": " + message;
  return file.string() + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) + ": " + message;
}

std::string joined(std::initializer_list<std::string_view> words) {
  std::string out;
  for (const std::string_view word : words) out += (out.empty() ? "" : ", ") + std::string(word);
  return out;
}

// A mapping whose keys come from a fixed set, each at most once.
class Fields {
 public:
  Fields(const YAML::Node& node, std::string_view what, std::initializer_list<std::string_view> allowed) : node_(node) {
    if (!node.IsMap()) fail_at(node, std::string(what) + " must be a mapping");
    std::set<std::string, std::less<>> seen;
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      if (!key.IsScalar()) fail_at(key, "keys of " + std::string(what) + " must be names");
      const std::string& name = key.Scalar();
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        fail_at(key, "unknown key '" + name + "' in " + std::string(what) + " (expected " + joined(allowed) + ")");
      }
      if (!seen.insert(name).second) fail_at(key, "'" + name + "' is given twice in " + std::string(what));
    }
  }

  std::optional<YAML::Node> find(std::string_view key) const {
    for (const auto& entry : node_) {
      if (entry.first.Scalar() == key) return entry.second;
    }
    return std::nullopt;
  }

  YAML::Node require(std::string_view key, std::string_view what) const {
    if (auto value = find(key)) return *value;
    fail_at(node_, std::string(what) + " needs '" + std::string(key) + "'");
  }

  bool has(std::string_view key) const { return find(key).has_value(); }

 private:
  YAML::Node node_;
};

std::string read_string(const YAML::Node& node, std::string_view what) {
  if (!node.IsScalar()) fail_at(node, std::string(what) + " must be text");
  return node.Scalar();
}

// One text or a sequence of them.
std::vector<std::string> read_strings(const YAML::Node& node, std::string_view what) {
  if (node.IsScalar()) return {node.Scalar()};
  if (!node.IsSequence()) fail_at(node, std::string(what) + " must be a list");
  std::vector<std::string> out;
  for (const YAML::Node& item : node) out.push_back(read_string(item, std::string("each of ") + std::string(what)));
  return out;
}

std::string read_address(const YAML::Node& node, std::string_view what) {
  std::string address = read_string(node, what);
  const std::size_t at = address.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == address.size() ||
      address.find_first_of(" \t\r\n<>,") != std::string::npos) {
    fail_at(node, "'" + address + "' is not a mail address");
  }
  return address;
}

// One address or a sequence of them; at least one.
std::vector<std::string> read_recipients(const YAML::Node& node) {
  if (node.IsScalar()) return {read_address(node, "to")};
  if (!node.IsSequence() || node.size() == 0) fail_at(node, "to needs one recipient or a list of them");
  std::vector<std::string> recipients;
  for (const YAML::Node& item : node) recipients.push_back(read_address(item, "to"));
  return recipients;
}

Action read_action(const YAML::Node& node, std::string_view what) {
  const std::string name = read_string(node, what);
  Action action = Action::accept;
  if (!parse_action(name, action)) {
    fail_at(node, "unknown action '" + name +
                      "' (expected accept, tag, notify, require_tls, route, encrypt, remove_recipients, quarantine, "
                      "reject_unless_confirmed or reject)");
  }
  return action;
}

std::string read_file_named_by(const YAML::Node& node, const fs::path& base, std::string_view what) {
  const fs::path path = base / read_string(node, what);
  std::error_code error;
  const std::uintmax_t size = fs::file_size(path, error);
  if (error) fail_at(node, "cannot read " + std::string(what) + " " + path.string() + ": " + error.message());
  if (size > kMaxFileBytes) fail_at(node, path.string() + " is larger than 64 MiB");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  if (!in || in.bad()) fail_at(node, "cannot read " + std::string(what) + " " + path.string());
  return content.str();
}

bool is_recipient(const std::vector<std::string>& recipients, std::string_view address) {
  return std::any_of(recipients.begin(), recipients.end(),
                     [&](const std::string& recipient) { return iequals(recipient, address); });
}

// What a mail client would declare for a file of this name; content
// extraction still recognises the type from the bytes.
std::string type_for_name(std::string_view name, bool is_text) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kTypes{{
      {".txt", "text/plain"},
      {".csv", "text/csv"},
      {".htm", "text/html"},
      {".html", "text/html"},
      {".pdf", "application/pdf"},
      {".rtf", "application/rtf"},
      {".doc", "application/msword"},
      {".xls", "application/vnd.ms-excel"},
      {".ppt", "application/vnd.ms-powerpoint"},
      {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {".pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
      {".odt", "application/vnd.oasis.opendocument.text"},
      {".ods", "application/vnd.oasis.opendocument.spreadsheet"},
      {".zip", "application/zip"},
      {".7z", "application/x-7z-compressed"},
      {".tar", "application/x-tar"},
      {".gz", "application/gzip"},
      {".p7m", "application/pkcs7-mime"},
      {".dat", "application/ms-tnef"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
  }};
  const std::string extension = ascii_lower(fs::path(std::string(name)).extension().string());
  for (const auto& [known, type] : kTypes) {
    if (extension == known) return std::string(type);
  }
  return is_text ? "text/plain" : "application/octet-stream";
}

TestAttachment read_attachment(const YAML::Node& node, const fs::path& base) {
  const Fields fields(node, "an attachment", {"name", "type", "text", "file"});
  const auto text = fields.find("text");
  const auto file = fields.find("file");
  if (text.has_value() == file.has_value()) fail_at(node, "an attachment needs exactly one of text or file");
  TestAttachment attachment{read_string(fields.require("name", "an attachment"), "name"), "", ""};
  if (attachment.name.empty() || attachment.name.find_first_of("\r\n") != std::string::npos) {
    fail_at(*fields.find("name"), "an attachment name must be one line of text");
  }
  attachment.type = type_for_name(attachment.name, text.has_value());
  if (const auto type = fields.find("type")) {
    attachment.type = ascii_lower(read_string(*type, "type"));
    const std::size_t slash = attachment.type.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == attachment.type.size() ||
        attachment.type.find_first_of(" \t\r\n;\"") != std::string::npos) {
      fail_at(*type, "type must be a MIME type such as text/plain or application/pdf");
    }
  }
  attachment.content = text ? read_string(*text, "text") : read_file_named_by(*file, base, "attachment file");
  return attachment;
}

ExpectedOutcome read_expectation(const YAML::Node& node, const std::vector<std::string>& recipients) {
  const Fields fields(node, "expect",
                      {"action", "rules", "not_rules", "monitor_rules", "removed", "recipients", "subject"});
  ExpectedOutcome expected;
  const YAML::Node action = fields.require("action", "expect");
  expected.action = read_action(action, "action");
  if (expected.action == Action::remove_recipients) {
    fail_at(action, "remove_recipients acts on recipients, never on the whole message: expect the message's action "
                    "and list the recipients under removed");
  }
  if (const auto rules = fields.find("rules")) expected.rules = read_strings(*rules, "rules");
  if (const auto rules = fields.find("not_rules")) expected.not_rules = read_strings(*rules, "not_rules");
  if (const auto rules = fields.find("monitor_rules")) expected.monitor_rules = read_strings(*rules, "monitor_rules");
  if (const auto removed = fields.find("removed")) {
    expected.removed.emplace();
    if (!removed->IsSequence()) fail_at(*removed, "removed must be a list of recipients ([] for none)");
    for (const YAML::Node& item : *removed) {
      const std::string address = read_address(item, "removed");
      if (!is_recipient(recipients, address)) fail_at(item, "'" + address + "' is not one of the recipients (to:)");
      expected.removed->push_back(address);
    }
  }
  if (const auto per_recipient = fields.find("recipients")) {
    if (!per_recipient->IsMap()) fail_at(*per_recipient, "recipients must map each address to its action");
    for (const auto& entry : *per_recipient) {
      const std::string address = read_address(entry.first, "recipient");
      if (!is_recipient(recipients, address)) {
        fail_at(entry.first, "'" + address + "' is not one of the recipients (to:)");
      }
      expected.recipients.emplace_back(address, read_action(entry.second, "action"));
    }
  }
  if (const auto subject = fields.find("subject")) expected.subject = read_string(*subject, "subject");
  return expected;
}

PolicyTestCase read_case(const YAML::Node& node, const fs::path& file) {
  const Fields fields(node, "a test case",
                      {"name", "from", "auth", "to", "subject", "body", "html", "attachments", "message", "expect"});
  const fs::path base = file.parent_path();
  PolicyTestCase test;
  test.where = file.string() + ":" + std::to_string(node.Mark().line + 1) + ":" + std::to_string(node.Mark().column + 1);
  test.name = read_string(fields.require("name", "a test case"), "name");
  if (test.name.empty() || test.name.find_first_of("\r\n") != std::string::npos) {
    fail_at(*fields.find("name"), "a test name must be one line of text");
  }
  test.draft.from = read_address(fields.require("from", "a test case"), "from");
  if (const auto auth = fields.find("auth")) test.auth = read_string(*auth, "auth");
  test.draft.to = read_recipients(fields.require("to", "a test case"));

  if (const auto message = fields.find("message")) {
    for (const std::string_view key : {"subject", "body", "html", "attachments"}) {
      if (fields.has(key)) {
        fail_at(*message, "a test case gives either message or subject/body/html/attachments, not both");
      }
    }
    test.message = read_file_named_by(*message, base, "message file");
  }
  if (const auto subject = fields.find("subject")) test.draft.subject = read_string(*subject, "subject");
  if (const auto body = fields.find("body")) test.draft.text = read_string(*body, "body");
  if (const auto html = fields.find("html")) test.draft.html = read_string(*html, "html");
  if (const auto attachments = fields.find("attachments")) {
    if (!attachments->IsSequence()) fail_at(*attachments, "attachments must be a list");
    for (const YAML::Node& item : *attachments) test.draft.attachments.push_back(read_attachment(item, base));
  }
  test.expect = read_expectation(fields.require("expect", "a test case"), test.draft.to);
  return test;
}

std::vector<PolicyTestCase> read_cases(const YAML::Node& root, const fs::path& file) {
  if (!root.IsDefined() || root.IsNull()) throw TestFileError(YAML::Mark(), "the test file is empty");
  const Fields fields(root, "a test file", {"tests"});
  const YAML::Node tests = fields.require("tests", "a test file");
  if (!tests.IsSequence() || tests.size() == 0) fail_at(tests, "tests must be a list of test cases");
  std::vector<PolicyTestCase> cases;
  for (const YAML::Node& item : tests) cases.push_back(read_case(item, file));
  return cases;
}

}  // namespace

Result<std::vector<PolicyTestCase>> load_policy_test_file(const fs::path& path) {
  std::error_code error;
  if (!fs::is_regular_file(path, error)) return make_error("cannot read test file " + path.string());
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  if (!in) return make_error("cannot read test file " + path.string());
  try {
    return read_cases(YAML::Load(content.str()), path);
  } catch (const TestFileError& failure) {
    return make_error(located(path, failure.mark(), failure.what()));
  } catch (const YAML::Exception& failure) {
    return make_error(located(path, failure.mark, failure.msg));
  }
}

}  // namespace privmilter::tools
