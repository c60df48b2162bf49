#pragma once
// What evaluation works out once per message, before any rule runs: every
// detector's findings from one pass over the text, the matters the message
// refers to, who sends and who receives. Rules then only look things up,
// so a policy's cost does not grow with its number of rules and patterns.

#include <cstddef>
#include <string>
#include <vector>

#include "compiled_policy.h"
#include "privmilter/directory.h"
#include "privmilter/envelope.h"
#include "privmilter/firm_directory.h"
#include "privmilter/message_facts.h"

namespace privmilter {

struct RecipientInfo {
  std::string address;
  std::string domain;  // lowercase
  bool internal = false;
  const User* user = nullptr;  // internal recipients found in the directory
};

struct ReferencedMatter {
  const Matter* matter = nullptr;
  std::string location;  // where it was first found
  std::size_t offset = 0;
};

class EvaluationContext {
 public:
  // Findings kept per detector: enough for min_count and evidence, bounded
  // whatever the message holds.
  static constexpr std::size_t kMaxHitsPerDetector = 1000;

  EvaluationContext(const Policy& policy, const MessageFacts& facts, const Envelope& envelope,
                    const Directory& directory);

  const Policy& policy() const { return policy_; }
  const MessageFacts& facts() const { return facts_; }
  const Envelope& envelope() const { return envelope_; }
  const Directory& directory() const { return directory_; }
  const FirmDirectory& firm() const { return directory_.firm(); }

  const std::vector<DetectorHit>& hits(std::size_t detector) const { return hits_[detector]; }
  const std::vector<RecipientInfo>& recipients() const { return recipients_; }
  const std::vector<ReferencedMatter>& matters() const { return matters_; }
  // Matter-like numbers the directory does not know (raw, never shown).
  const std::vector<DetectorHit>& unknown_matter_numbers() const { return unknown_matter_numbers_; }
  const User* sender() const { return sender_; }

 private:
  void scan_text();
  void resolve_matters();
  void classify_people();

  const Policy& policy_;
  const MessageFacts& facts_;
  const Envelope& envelope_;
  const Directory& directory_;
  std::vector<std::vector<DetectorHit>> hits_;
  std::vector<RecipientInfo> recipients_;
  std::vector<ReferencedMatter> matters_;
  std::vector<DetectorHit> unknown_matter_numbers_;
  const User* sender_ = nullptr;
};

}  // namespace privmilter
