#include "party_condition_parser.h"

#include <array>
#include <utility>

#include "privmilter/strings.h"
#include "yaml_reader.h"

namespace privmilter {
namespace {

constexpr std::size_t kMaxSubjectTagLength = 64;

constexpr std::array<std::pair<std::string_view, RecipientClass>, 6> kRecipientClasses = {{
    {"external", RecipientClass::external},
    {"internal", RecipientClass::internal},
    {"lookalike", RecipientClass::lookalike},
    {"webmail", RecipientClass::webmail},
    {"unauthorized", RecipientClass::unauthorized},
    {"walled", RecipientClass::walled},
}};

// Conditions about matters need the policy to say what a matter number
// looks like; without it they could never hold, which is a mistake to
// report rather than a rule to load.
void require_matter_pattern(const YAML::Node& node, const ConditionContext& context, std::string_view what) {
  if (!context.detectors.matters) {
    fail_at(node, std::string(what) + " needs the firm's matter-number pattern: add matters: { pattern: '...' }");
  }
}

std::string where(const ConditionContext& context, const YAML::Node& node) {
  return context.file + ":" + std::to_string(line_of(node)) + ":" + std::to_string(column_of(node));
}

}  // namespace

RecipientCondition parse_recipient_condition(const YAML::Node& node, const ConditionContext& context) {
  const std::string name = read_string(node, "recipient");
  for (const auto& [known, selects] : kRecipientClasses) {
    if (name != known) continue;
    if (selects == RecipientClass::unauthorized || selects == RecipientClass::walled) {
      require_matter_pattern(node, context, "recipient: " + name);
    }
    return {selects};
  }
  fail_at(node, "recipient must be external, internal, lookalike, webmail, unauthorized or walled, not " +
                    in_quotes(name));
}

SenderCondition parse_sender_condition(const YAML::Node& node, ConditionContext& context) {
  if (node.IsScalar()) {
    const std::string name = read_string(node, "sender");
    if (name == "walled") {
      require_matter_pattern(node, context, "sender: walled");
      return {SenderCondition::Test::walled, {}};
    }
    if (name == "unknown") return {SenderCondition::Test::unknown, {}};
    fail_at(node, "sender must be walled, unknown, { user: ID } or { group: NAME }, not " + in_quotes(name));
  }
  const MapReader fields(node, "sender condition", {"user", "group"});
  const auto user = fields.find("user");
  const auto group = fields.find("group");
  if (user.has_value() == group.has_value()) fail_at(node, "a sender condition names exactly one of user or group");
  const YAML::Node& named = user ? *user : *group;
  SenderCondition condition{user ? SenderCondition::Test::user : SenderCondition::Test::group,
                            read_string(named, user ? "user" : "group")};
  context.references.push_back({user ? DirectoryReference::Kind::user : DirectoryReference::Kind::group,
                                condition.name, where(context, named)});
  return condition;
}

MatterCondition parse_matter_condition(const YAML::Node& node, const ConditionContext& context) {
  const std::string name = read_string(node, "matter");
  if (name != "known" && name != "unknown") {
    fail_at(node, "matter must be known (a number in the matter directory) or unknown, not " + in_quotes(name));
  }
  require_matter_pattern(node, context, "matter: " + name);
  return {name == "known"};
}

SubjectTagCondition parse_subject_tag_condition(const YAML::Node& node) {
  const std::string tag = read_string(node, "subject_tag");
  if (trim(tag).empty() || tag.size() > kMaxSubjectTagLength) {
    fail_at(node, "subject_tag must be 1 to " + std::to_string(kMaxSubjectTagLength) + " characters, e.g. '[secure]'");
  }
  return {ascii_lower(trim(tag))};
}

}  // namespace privmilter
