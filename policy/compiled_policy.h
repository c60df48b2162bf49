#pragma once
// The compiled form of a policy (one file or a directory of files): rules
// whose conditions refer to the policy's detectors, all compiled into one
// multi-pattern set. Built by the loader, read by the evaluator; never
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
#include "detector_set.h"
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

// A text detector of the policy: an index into Policy::detectors().
struct ContentCondition {
  static constexpr std::size_t kMaxMinCount = 1000;

  std::size_t detector = 0;  // shared by every rule naming the same list or pattern
  SegmentFilter in;
  std::size_t min_count = 1;  // distinct findings (by TextMatch::identity) needed to hold
};

struct EncryptionCondition {
  bool unencrypted = true;  // true: fires for clear-text messages; false: for encrypted ones
};

// Recipient conditions select recipients: the rule then concerns just
// those (what remove_recipients removes, what per-recipient verdicts show).
enum class RecipientClass {
  external,      // outside the firm
  internal,      // inside the firm
  lookalike,     // domain imitates the firm's or a client's (lookalike.h)
  webmail,       // a personal webmail domain
  unauthorized,  // not authorized for a matter the message references
  walled,        // inside the firm but screened by an ethical wall from a referenced matter
};

struct RecipientCondition {
  RecipientClass selects = RecipientClass::external;
};

// Who sends: the SMTP AUTH login, else the envelope sender, found in the
// directory's users.
struct SenderCondition {
  enum class Test { user, group, walled, unknown } test = Test::user;
  std::string name;  // the user or group, for user and group
};

// Matter numbers (the policy's `matters:` pattern) found in the message.
struct MatterCondition {
  bool known = true;  // true: a number of the matter directory; false: a number it does not know
};

// A marker in the subject, e.g. "[secure]": the sender asks for encryption.
struct SubjectTagCondition {
  std::string tag;  // lowercase; matched case-insensitively
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
  std::variant<ContentCondition, EncryptionCondition, RecipientCondition, SenderCondition,
               MatterCondition, SubjectTagCondition, AttachmentCondition, UninspectableCondition,
               ProtectionCondition, SizeCondition, AllCondition, AnyCondition, NotCondition>
      node;
};

struct Rule {
  std::string id;
  std::string description;
  std::optional<Condition> when;    // absent: the rule always fires
  std::optional<Condition> unless;  // `except:`; recipients it selects are exempt
  Action action = Action::accept;
  std::vector<HeaderField> headers;  // tag
  std::string subject_prefix;        // tag
  std::optional<SmtpReply> reply;    // reject, reject_unless_confirmed, remove_recipients
  std::string route;                 // route, encrypt with fallback route: the gateway name the MTA maps to a transport
  EncryptFallback encrypt_fallback = EncryptFallback::quarantine;  // encrypt: when a certificate is missing
  bool monitor = false;              // record what would happen, enforce nothing
  bool notify_sender = false;
  std::vector<std::string> notify_also;
};

struct PolicySettings {
  bool monitor = false;  // the whole policy records and enforces nothing
  // reject_unless_confirmed: "[confirmed: reason]" in the subject.
  std::string confirm_tag = "confirmed";
  std::size_t min_justification = 10;  // characters of reason required
};

// True when the tree asks about ethical walls (sender or recipient walled):
// such rules matter for mail between colleagues too.
bool mentions_walls(const Condition& condition);

// Names in the policy that must exist in the firm directory; checked when
// policy and directory are loaded together (they are reloaded together).
struct DirectoryReference {
  enum class Kind { user, group } kind = Kind::user;
  std::string name;
  std::string where;  // "policy.yaml:12:18"
};

// One detector of the policy and the one whose findings cancel it: a
// marking inside the firm's own disclaimer footer is not a marking.
struct DetectorEntry {
  std::shared_ptr<const TextMatcher> matcher;
  std::optional<std::size_t> ignore_within;
};

class Policy {
 public:
  Policy(std::vector<std::string> sources, PolicySettings settings, std::vector<DetectorEntry> detectors,
         std::optional<std::size_t> matter_detector, std::vector<Rule> rules,
         std::unique_ptr<const DetectorSet> detector_set, std::vector<DirectoryReference> references)
      : sources_(std::move(sources)),
        settings_(settings),
        detectors_(std::move(detectors)),
        matter_detector_(matter_detector),
        rules_(std::move(rules)),
        detector_set_(std::move(detector_set)),
        references_(std::move(references)) {
    for (const Rule& rule : rules_) {
      if ((rule.when && mentions_walls(*rule.when)) || (rule.unless && mentions_walls(*rule.unless))) {
        inspects_internal_mail_ = true;
      }
    }
  }

  const std::vector<std::string>& sources() const { return sources_; }
  const PolicySettings& settings() const { return settings_; }
  const std::vector<DetectorEntry>& detectors() const { return detectors_; }
  std::optional<std::size_t> matter_detector() const { return matter_detector_; }
  const std::vector<Rule>& rules() const { return rules_; }
  const DetectorSet& detector_set() const { return *detector_set_; }
  const std::vector<DirectoryReference>& references() const { return references_; }
  // Ethical walls screen people inside the firm from each other, so a
  // policy with wall rules needs to see internal mail as well.
  bool inspects_internal_mail() const { return inspects_internal_mail_; }

 private:
  std::vector<std::string> sources_;
  PolicySettings settings_;
  std::vector<DetectorEntry> detectors_;
  std::optional<std::size_t> matter_detector_;
  std::vector<Rule> rules_;
  std::unique_ptr<const DetectorSet> detector_set_;
  std::vector<DirectoryReference> references_;
  bool inspects_internal_mail_ = false;
};

}  // namespace privmilter
