// Loading a policy: one file, or a directory of files split by concern
// (detectors, rules by topic), read in name order. Everything is validated
// and compiled up front, so a policy that loads can be evaluated without
// any further failure; every error names file:line:column.

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "compiled_policy.h"
#include "condition_parser.h"
#include "privmilter/policy.h"
#include "rule_parser.h"
#include "yaml_reader.h"

namespace privmilter {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSupportedVersion = "1";
constexpr std::size_t kMaxPolicyFileBytes = std::size_t{16} << 20;
constexpr std::size_t kMaxPolicyFiles = 1000;
constexpr std::size_t kMaxMinJustification = 200;

struct PolicyDocument {
  std::string name;  // as errors show it
  fs::path directory;  // resolves `file:` references
  YAML::Node root;
};

// Carries the file name from the point of failure to the public boundary.
class LocatedError : public std::runtime_error {
 public:
  explicit LocatedError(const std::string& message) : std::runtime_error(message) {}
};

std::string located(const std::string& name, int line, int column, const std::string& message) {
  if (line <= 0) return name + ": " + message;
  std::string where = name + ":" + std::to_string(line);
  if (column > 0) where += ":" + std::to_string(column);
  return where + ": " + message;
}

// Runs `step` on one document, turning its syntax errors into located ones.
template <typename Step>
void within(const PolicyDocument& document, Step&& step) {
  try {
    step();
  } catch (const PolicySyntaxError& error) {
    throw LocatedError(located(document.name, error.line(), error.column(), error.what()));
  } catch (const YAML::Exception& error) {
    const bool known = !error.mark.is_null();
    throw LocatedError(located(document.name, known ? error.mark.line + 1 : 0, known ? error.mark.column + 1 : 0,
                               error.msg));
  }
}

Result<std::string> read_limited(const fs::path& path, std::string_view what) {
  std::error_code size_error;
  const std::uintmax_t size = fs::file_size(path, size_error);
  if (size_error) return make_error("cannot open " + std::string(what) + " " + path.string() + ": " + size_error.message());
  if (size > kMaxPolicyFileBytes) {
    return make_error(path.string() + ": " + std::string(what) + " larger than " +
                      std::to_string(kMaxPolicyFileBytes >> 20) + " MiB");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return make_error("cannot open " + std::string(what) + " " + path.string() + ": " + std::strerror(errno));
  std::ostringstream content;
  content << file.rdbuf();
  if (file.bad()) return make_error("cannot read " + std::string(what) + " " + path.string());
  return content.str();
}

// A phrase file: one phrase per line; blank lines and '#' comments skipped.
std::vector<std::string> read_phrase_file(const PolicyDocument& document, const YAML::Node& node) {
  const fs::path path = document.directory / read_string(node, "file");
  Result<std::string> content = read_limited(path, "phrase file");
  if (!content) fail_at(node, content.error().message);
  std::vector<std::string> phrases;
  std::istringstream lines(*content);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    phrases.push_back(line.substr(first));
  }
  if (phrases.empty()) fail_at(node, "phrase file " + path.string() + " holds no phrases");
  return phrases;
}

PolicySettings parse_settings(const YAML::Node& node) {
  const MapReader fields(node, "settings", {"monitor", "confirm_tag", "min_justification"});
  PolicySettings settings;
  if (const auto monitor = fields.find("monitor")) settings.monitor = read_bool(*monitor, "monitor");
  if (const auto tag = fields.find("confirm_tag")) settings.confirm_tag = read_identifier(*tag, "confirm_tag");
  if (const auto minimum = fields.find("min_justification")) {
    settings.min_justification = read_count(*minimum, "min_justification", 1, kMaxMinJustification);
  }
  return settings;
}

struct ListSource {
  std::vector<std::string> phrases;
  std::optional<YAML::Node> ignore_within;
};

ListSource read_list(const PolicyDocument& document, const MapEntry& entry) {
  const std::string what = "list " + in_quotes(entry.key);
  if (!entry.value.IsMap()) return {read_phrases(entry.value, what), std::nullopt};
  const MapReader fields(entry.value, what, {"phrases", "file", "ignore_within"});
  const auto phrases = fields.find("phrases");
  const auto file = fields.find("file");
  if (phrases.has_value() == file.has_value()) fail_at(entry.value, what + " needs exactly one of phrases or file");
  return {phrases ? read_phrases(*phrases, what) : read_phrase_file(document, *file), fields.find("ignore_within")};
}

class PolicyCompiler {
 public:
  std::shared_ptr<const Policy> compile(const std::vector<PolicyDocument>& documents) {
    for (const PolicyDocument& document : documents) within(document, [&] { read_header(document); });
    for (const PolicyDocument& document : documents) within(document, [&] { read_detectors(document); });
    for (const PendingIgnore& pending : pending_ignores_) {
      within(*pending.document, [&] { resolve_ignore(pending.node, pending.list); });
    }
    std::vector<Rule> rules;
    for (const PolicyDocument& document : documents) within(document, [&] { read_rules(document, rules); });

    std::vector<std::shared_ptr<const TextMatcher>> matchers;
    for (const DetectorEntry& entry : detectors_.entries) matchers.push_back(entry.matcher);
    Result<std::unique_ptr<const DetectorSet>> set = DetectorSet::compile(std::move(matchers));
    if (!set) throw LocatedError(documents.front().name + ": " + set.error().message);

    std::vector<std::string> sources;
    for (const PolicyDocument& document : documents) sources.push_back(document.name);
    return std::make_shared<const Policy>(std::move(sources), settings_, std::move(detectors_.entries),
                                          detectors_.matters, std::move(rules), std::move(set).value(),
                                          std::move(references_));
  }

 private:
  void read_header(const PolicyDocument& document) {
    const YAML::Node& root = document.root;
    if (!root.IsDefined() || root.IsNull()) throw PolicySyntaxError(1, "the policy file is empty", 1);
    const MapReader fields(root, "a policy file", {"version", "settings", "lists", "patterns", "matters", "rules"});
    const YAML::Node version = fields.require("version");
    if (read_string(version, "version") != kSupportedVersion) {
      fail_at(version, "unsupported policy version " + in_quotes(version.Scalar()) + " (this privmilter reads version 1)");
    }
    if (const auto settings = fields.find("settings")) {
      if (settings_seen_) fail_at(*settings, "settings are already given in " + *settings_seen_);
      settings_ = parse_settings(*settings);
      settings_seen_ = document.name;
    }
  }

  void read_detectors(const PolicyDocument& document) {
    const MapReader fields(document.root, "a policy file",
                           {"version", "settings", "lists", "patterns", "matters", "rules"});
    if (const auto lists = fields.find("lists")) {
      for (const MapEntry& entry : map_entries(*lists, "lists")) {
        read_identifier(entry.key_node, "list name");
        claim_name(document, entry, "list");
        ListSource source = read_list(document, entry);
        auto compiled = compile_phrase_matcher("list:" + entry.key, source.phrases);
        if (!compiled) fail_at(entry.value, "list " + in_quotes(entry.key) + ": " + compiled.error().message);
        const std::size_t index = detectors_.add(std::move(compiled).value());
        detectors_.lists.emplace(entry.key, index);
        if (source.ignore_within) pending_ignores_.push_back({&document, *source.ignore_within, index});
      }
    }
    if (const auto patterns = fields.find("patterns")) {
      for (const MapEntry& entry : map_entries(*patterns, "patterns")) {
        read_identifier(entry.key_node, "pattern name");
        claim_name(document, entry, "pattern");
        auto compiled = compile_regex_matcher("regex:" + entry.key, read_string(entry.value, "pattern"));
        if (!compiled) fail_at(entry.value, "pattern " + in_quotes(entry.key) + ": " + compiled.error().message);
        detectors_.patterns.emplace(entry.key, detectors_.add(std::move(compiled).value()));
      }
    }
    if (const auto matters = fields.find("matters")) {
      if (detectors_.matters) fail_at(*matters, "the matter-number pattern is already given");
      const MapReader matter_fields(*matters, "matters", {"pattern"});
      const YAML::Node pattern = matter_fields.require("pattern");
      auto compiled = compile_regex_matcher("matter:number", read_string(pattern, "matters pattern"));
      if (!compiled) fail_at(pattern, "matters pattern: " + compiled.error().message);
      detectors_.matters = detectors_.add(std::move(compiled).value());
    }
  }

  void claim_name(const PolicyDocument& document, const MapEntry& entry, std::string_view kind) {
    const std::string key = std::string(kind) + ":" + entry.key;
    const std::string here = document.name + ":" + std::to_string(line_of(entry.key_node));
    const auto [previous, inserted] = defined_at_.emplace(key, here);
    if (!inserted) {
      fail_at(entry.key_node, std::string(kind) + " " + in_quotes(entry.key) + " is already defined at " + previous->second);
    }
  }

  void resolve_ignore(const YAML::Node& node, std::size_t list) {
    const std::string name = read_string(node, "ignore_within");
    const auto found = detectors_.lists.find(name);
    if (found == detectors_.lists.end()) fail_at(node, "unknown list " + in_quotes(name) + " (define it under lists:)");
    if (found->second == list) fail_at(node, "a list cannot ignore itself");
    if (detectors_.entries[found->second].ignore_within) {
      fail_at(node, "list " + in_quotes(name) + " has an ignore_within of its own; it cannot cancel another list");
    }
    detectors_.entries[list].ignore_within = found->second;
  }

  void read_rules(const PolicyDocument& document, std::vector<Rule>& rules) {
    const MapReader fields(document.root, "a policy file",
                           {"version", "settings", "lists", "patterns", "matters", "rules"});
    const auto items = fields.find("rules");
    if (!items) return;
    ConditionContext context{detectors_, references_, document.name};
    for (const YAML::Node& item : sequence_items(*items, "rules")) {
      Rule rule = parse_rule(item, context);
      const std::string here = document.name + ":" + std::to_string(line_of(item));
      const auto [previous, inserted] = defined_at_.emplace("rule:" + rule.id, here);
      if (!inserted) fail_at(item, "duplicate rule id " + in_quotes(rule.id) + " (first defined at " + previous->second + ")");
      rules.push_back(std::move(rule));
    }
  }

  struct PendingIgnore {
    const PolicyDocument* document;
    YAML::Node node;
    std::size_t list;
  };

  PolicySettings settings_;
  std::optional<std::string> settings_seen_;
  DetectorTable detectors_;
  std::vector<PendingIgnore> pending_ignores_;
  std::vector<DirectoryReference> references_;
  std::map<std::string, std::string, std::less<>> defined_at_;
};

Result<std::shared_ptr<const Policy>> compile_documents(const std::vector<PolicyDocument>& documents) {
  try {
    if (documents.empty()) return make_error("no policy files");
    PolicyCompiler compiler;
    return compiler.compile(documents);
  } catch (const LocatedError& error) {
    return make_error(error.what());
  } catch (const std::exception& error) {
    return make_error(documents.front().name + ": " + error.what());
  }
}

Result<PolicyDocument> parse_document(const std::string& yaml, const std::string& name, const fs::path& directory) {
  try {
    return PolicyDocument{name, directory, YAML::Load(yaml)};
  } catch (const YAML::Exception& error) {
    const bool known = !error.mark.is_null();
    return make_error(located(name, known ? error.mark.line + 1 : 0, known ? error.mark.column + 1 : 0, error.msg));
  }
}

Result<std::vector<fs::path>> policy_files(const fs::path& directory) {
  std::error_code error;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
    const fs::path& path = it->path();
    const std::string name = path.filename().string();
    // Editors' backups and hidden files are not policy.
    if (name.empty() || name.front() == '.' || name.back() == '~') continue;
    if (path.extension() != ".yaml" && path.extension() != ".yml") continue;
    // A policy file that cannot be read is an error, never a rule set that
    // quietly shrinks: a dangling link fails the load (and a reload keeps
    // the running policy).
    const fs::file_status status = it->status(error);
    if (error) return make_error(path.string() + ": " + error.message());
    if (status.type() == fs::file_type::not_found) return make_error(path.string() + ": a link to a missing file");
    if (!fs::is_regular_file(status)) continue;
    files.push_back(path);
  }
  if (error) return make_error("cannot read policy directory " + directory.string() + ": " + error.message());
  if (files.empty()) return make_error("policy directory " + directory.string() + " holds no .yaml files");
  if (files.size() > kMaxPolicyFiles) return make_error("policy directory " + directory.string() + " holds too many files");
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

Result<std::shared_ptr<const Policy>> load_policy_string(const std::string& yaml, const std::string& name) {
  Result<PolicyDocument> document = parse_document(yaml, name, fs::current_path());
  if (!document) return document.error();
  return compile_documents({std::move(document).value()});
}

Result<std::shared_ptr<const Policy>> load_policy_file(const fs::path& path) {
  std::error_code error;
  std::vector<fs::path> files;
  if (fs::is_directory(path, error)) {
    Result<std::vector<fs::path>> listed = policy_files(path);
    if (!listed) return listed.error();
    files = std::move(listed).value();
  } else {
    files.push_back(path);
  }
  std::vector<PolicyDocument> documents;
  for (const fs::path& file : files) {
    Result<std::string> content = read_limited(file, "policy file");
    if (!content) return content.error();
    Result<PolicyDocument> document = parse_document(*content, file.string(), file.parent_path());
    if (!document) return document.error();
    documents.push_back(std::move(document).value());
  }
  return compile_documents(documents);
}

std::size_t rule_count(const Policy& policy) { return policy.rules().size(); }

bool inspects_internal_mail(const Policy& policy) { return policy.inspects_internal_mail(); }

Status check_directory_references(const Policy& policy, const Directory& directory) {
  const FirmDirectory& firm = directory.firm();
  for (const DirectoryReference& reference : policy.references()) {
    const bool user = reference.kind == DirectoryReference::Kind::user;
    const bool known = user ? firm.user_by_id(reference.name) != nullptr : firm.has_group(reference.name);
    if (!known) {
      return make_error(reference.where + ": unknown " + (user ? "user " : "group ") + in_quotes(reference.name) +
                        " (not in the firm directory)");
    }
  }
  return {};
}

}  // namespace privmilter
