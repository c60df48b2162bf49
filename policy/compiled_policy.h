#pragma once
// The compiled form of a policy file: rules whose conditions hold
// ready-to-run matchers. Built by the loader, read by the evaluator; never
// changed after loading, so one Policy can serve every milter thread.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "privmilter/message_facts.h"
#include "privmilter/verdict.h"
#include "text_matcher.h"

namespace privmilter {

struct Condition;

// Which kinds of text a content condition looks at.
struct SegmentFilter {
  bool subject = true;
  bool body = true;
  bool attachment = true;
  bool metadata = true;

  bool admits(SegmentKind kind) const {
    switch (kind) {
      case SegmentKind::subject: return subject;
      case SegmentKind::body: return body;
      case SegmentKind::attachment: return attachment;
      case SegmentKind::metadata: return metadata;
    }
    return false;
  }
};

struct ContentCondition {
  static constexpr std::size_t kMaxMinCount = 1000;

  std::shared_ptr<const TextMatcher> matcher;  // shared by every rule naming the same list
  SegmentFilter in;
  std::size_t min_count = 1;  // distinct findings (by TextMatch::identity) needed to hold
};

struct EncryptionCondition {
  bool unencrypted = true;  // true: fires for clear-text messages; false: for encrypted ones
};

enum class RecipientScope {
  external,  // at least one recipient outside the firm
  internal,  // every recipient inside the firm (and at least one recipient)
  lookalike, // at least one recipient domain imitates a protected domain (lookalike.h)
};

struct RecipientCondition {
  RecipientScope scope = RecipientScope::external;
};

// Fires when an attachment carries every property given; an absent
// property does not narrow. The loader insists on at least one.
struct AttachmentCondition {
  std::optional<PartFlag> flag;
  std::string flag_name;  // as written in the policy, for evidence
  std::optional<std::string> type_glob;    // on the detected type, else the declared one
  std::optional<std::string> name_glob;    // on the file name
  std::optional<std::string> reason_glob;  // on PartFact::uninspectable_reason
};

// Any part, or the message itself, could not be fully inspected.
struct UninspectableCondition {};

struct ProtectionCondition {
  bool all_protected = true;  // true: fires when MessageFacts::all_content_protected
};

struct SizeCondition {
  std::size_t over_bytes = 0;
  std::string as_written;  // "10MB", for evidence
};

struct AllCondition {
  std::vector<Condition> children;
};

struct AnyCondition {
  std::vector<Condition> children;
};

struct NotCondition {
  std::unique_ptr<Condition> child;
};

struct Condition {
  std::variant<ContentCondition, EncryptionCondition, RecipientCondition, AttachmentCondition,
               UninspectableCondition, ProtectionCondition, SizeCondition, AllCondition, AnyCondition,
               NotCondition>
      node;
};

struct Rule {
  std::string id;
  std::string description;
  std::optional<Condition> when;  // absent: the rule always fires
  Action action = Action::accept;
  std::optional<HeaderField> header;  // set exactly when action is add_header
  std::optional<SmtpReply> reply;     // set exactly when action is reject
};

class Policy {
 public:
  Policy(std::string source, std::vector<Rule> rules)
      : source_(std::move(source)), rules_(std::move(rules)) {}

  const std::string& source() const { return source_; }
  const std::vector<Rule>& rules() const { return rules_; }

 private:
  std::string source_;
  std::vector<Rule> rules_;
};

}  // namespace privmilter
