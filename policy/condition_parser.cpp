#include "condition_parser.h"

#include <algorithm>
#include <array>
#include <type_traits>
#include <utility>

#include "fact_condition_parser.h"
#include "party_condition_parser.h"
#include "identifier_matcher.h"
#include "yaml_reader.h"

namespace privmilter {
namespace {

// Deeper nesting is certainly a mistake, and bounding it bounds the
// recursion of both loader and evaluator.
constexpr int kMaxConditionDepth = 32;

constexpr std::string_view kConditionNames =
    "content, unencrypted, recipient, sender, matter, subject_tag, attachment, uninspectable, protected, size, "
    "all, any or not";

Condition parse_at_depth(const YAML::Node& node, ConditionContext& context, int depth);

std::size_t named_detector(const std::map<std::string, std::size_t, std::less<>>& table, const YAML::Node& node,
                           std::string_view kind) {
  const std::string name = read_string(node, kind);
  const auto found = table.find(name);
  if (found == table.end()) {
    fail_at(node, "unknown " + std::string(kind) + " " + in_quotes(name) + " (define it under " +
                      std::string(kind) + "s:)");
  }
  return found->second;
}

std::shared_ptr<const TextMatcher> compiled_or_fail(Result<std::unique_ptr<TextMatcher>> compiled,
                                                    const YAML::Node& node) {
  if (!compiled.ok()) fail_at(node, compiled.error().message);
  return std::shared_ptr<const TextMatcher>(std::move(compiled).value());
}

SegmentFilter read_segment_filter(const YAML::Node& node) {
  const std::vector<YAML::Node> items = sequence_items(node, "'in'");
  if (items.empty()) fail_at(node, "'in' needs at least one of subject, body, attachment, metadata");
  SegmentFilter filter{false, false, false, false};
  for (const YAML::Node& item : items) {
    const std::string kind = read_string(item, "an 'in' entry");
    if (kind == to_string(SegmentKind::subject)) {
      filter.subject = true;
    } else if (kind == to_string(SegmentKind::body)) {
      filter.body = true;
    } else if (kind == to_string(SegmentKind::attachment)) {
      filter.attachment = true;
    } else if (kind == to_string(SegmentKind::metadata)) {
      filter.metadata = true;
    } else {
      fail_at(item, "unknown text kind " + in_quotes(kind) + " (expected subject, body, attachment or metadata)");
    }
  }
  return filter;
}

std::shared_ptr<const TextMatcher> identifier_matcher(const MapReader& content, const YAML::Node& kind_node) {
  const std::string name = read_string(kind_node, "identifier");
  const std::optional<IdentifierKind> kind = parse_identifier_kind(name);
  if (!kind) {
    fail_at(kind_node, "unknown identifier " + in_quotes(name) + " (expected " +
                           std::string(identifier_kind_names()) + ")");
  }
  IdentifierOptions options;
  options.kind = *kind;
  const std::optional<YAML::Node> near = content.find("near");
  if (near) options.near = read_phrases(*near, "'near'");
  if (const auto within = content.find("within")) {
    if (!near) fail_at(*within, "'within' needs 'near': the keywords it measures the distance to");
    options.within = read_count(*within, "'within'", 1, IdentifierOptions::kMaxWithin);
  }
  return compiled_or_fail(compile_identifier_matcher(options), near ? *near : kind_node);
}

ContentCondition parse_content(const YAML::Node& node, DetectorTable& detectors) {
  const MapReader content(node, "content condition",
                          {"list", "phrases", "pattern", "regex", "identifier", "near", "within", "min_count", "in"});
  const std::array<std::string_view, 5> sources = {"list", "phrases", "pattern", "regex", "identifier"};
  int source_count = 0;
  for (const std::string_view source : sources) source_count += content.find(source) ? 1 : 0;
  if (source_count != 1) {
    fail_at(node, "a content condition needs exactly one of list, phrases, pattern, regex or identifier");
  }

  ContentCondition condition;
  if (const auto list = content.find("list")) {
    condition.detector = named_detector(detectors.lists, *list, "list");
  } else if (const auto phrases = content.find("phrases")) {
    condition.detector = detectors.add(compiled_or_fail(
        compile_phrase_matcher("phrases:inline", read_phrases(*phrases, "phrases")), *phrases));
  } else if (const auto pattern = content.find("pattern")) {
    condition.detector = named_detector(detectors.patterns, *pattern, "pattern");
  } else if (const auto regex = content.find("regex")) {
    condition.detector = detectors.add(
        compiled_or_fail(compile_regex_matcher("regex:inline", read_string(*regex, "regex")), *regex));
  } else if (const auto identifier = content.find("identifier")) {
    condition.detector = detectors.add(identifier_matcher(content, *identifier));
  }
  if (!content.find("identifier")) {
    for (const std::string_view key : {"near", "within"}) {
      if (const auto misplaced = content.find(key)) {
        fail_at(*misplaced, in_quotes(key) + " belongs only to identifier conditions");
      }
    }
  }
  if (const auto min_count = content.find("min_count")) {
    condition.min_count = read_count(*min_count, "'min_count'", 1, ContentCondition::kMaxMinCount);
  }
  if (const auto in = content.find("in")) condition.in = read_segment_filter(*in);
  return condition;
}

std::vector<Condition> parse_children(const YAML::Node& node, ConditionContext& context,
                                      std::string_view combinator, int depth) {
  const std::vector<YAML::Node> items = sequence_items(node, in_quotes(combinator));
  if (items.empty()) fail_at(node, in_quotes(combinator) + " needs at least one condition");
  std::vector<Condition> children;
  for (const YAML::Node& item : items) children.push_back(parse_at_depth(item, context, depth + 1));
  return children;
}

Condition parse_at_depth(const YAML::Node& node, ConditionContext& context, int depth) {
  if (depth > kMaxConditionDepth) {
    fail_at(node, "conditions nested more than " + std::to_string(kMaxConditionDepth) + " deep");
  }
  const std::vector<MapEntry> entries = map_entries(node, "a condition");
  if (entries.size() != 1) {
    fail_at(node, "a condition is exactly one of " + std::string(kConditionNames) +
                      "; combine several with all: [...]");
  }
  const MapEntry& entry = entries.front();
  if (entry.key == "content") return {parse_content(entry.value, context.detectors)};
  if (entry.key == "unencrypted") return {EncryptionCondition{read_bool(entry.value, "unencrypted")}};
  if (entry.key == "recipient") return {parse_recipient_condition(entry.value, context)};
  if (entry.key == "sender") return {parse_sender_condition(entry.value, context)};
  if (entry.key == "matter") return {parse_matter_condition(entry.value, context)};
  if (entry.key == "subject_tag") return {parse_subject_tag_condition(entry.value)};
  if (entry.key == "attachment") return {parse_attachment_condition(entry.value)};
  if (entry.key == "uninspectable") return {parse_uninspectable_condition(entry.value)};
  if (entry.key == "protected") return {parse_protection_condition(entry.value)};
  if (entry.key == "size") return {parse_size_condition(entry.value)};
  if (entry.key == "all") return {AllCondition{parse_children(entry.value, context, "all", depth)}};
  if (entry.key == "any") return {AnyCondition{parse_children(entry.value, context, "any", depth)}};
  if (entry.key == "not") {
    return {NotCondition{std::make_unique<Condition>(parse_at_depth(entry.value, context, depth + 1))}};
  }
  fail_at(entry.key_node,
          "unknown condition " + in_quotes(entry.key) + " (expected " + std::string(kConditionNames) + ")");
}

}  // namespace

Condition parse_condition(const YAML::Node& node, ConditionContext& context) {
  return parse_at_depth(node, context, 1);
}

bool mentions_walls(const Condition& condition) {
  return std::visit(
      [](const auto& node) {
        using Node = std::decay_t<decltype(node)>;
        if constexpr (std::is_same_v<Node, RecipientCondition>) {
          return node.selects == RecipientClass::walled;
        } else if constexpr (std::is_same_v<Node, SenderCondition>) {
          return node.test == SenderCondition::Test::walled;
        } else if constexpr (std::is_same_v<Node, AllCondition> || std::is_same_v<Node, AnyCondition>) {
          return std::any_of(node.children.begin(), node.children.end(),
                             [](const Condition& child) { return mentions_walls(child); });
        } else if constexpr (std::is_same_v<Node, NotCondition>) {
          return mentions_walls(*node.child);
        } else {
          return false;
        }
      },
      condition.node);
}

bool selects_recipients(const Condition& condition) {
  return std::visit(
      [](const auto& node) {
        using Node = std::decay_t<decltype(node)>;
        if constexpr (std::is_same_v<Node, RecipientCondition>) {
          return true;
        } else if constexpr (std::is_same_v<Node, AllCondition> || std::is_same_v<Node, AnyCondition>) {
          return std::any_of(node.children.begin(), node.children.end(),
                             [](const Condition& child) { return selects_recipients(child); });
        } else {
          return false;  // `not` is about the whole message
        }
      },
      condition.node);
}

std::vector<std::string> read_phrases(const YAML::Node& node, std::string_view what) {
  const std::vector<YAML::Node> items = sequence_items(node, what);
  if (items.empty()) fail_at(node, std::string(what) + " needs at least one phrase");
  std::vector<std::string> phrases;
  for (const YAML::Node& item : items) {
    std::string phrase = read_string(item, "a phrase");
    if (phrase.find_first_not_of(" \t\r\n\f\v") == std::string::npos) fail_at(item, "empty phrase");
    phrases.push_back(std::move(phrase));
  }
  return phrases;
}

}  // namespace privmilter
