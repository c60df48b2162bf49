#include "condition_evaluator.h"

#include <algorithm>
#include <functional>
#include <set>
#include <string_view>

#include "fact_condition_evaluator.h"
#include "privmilter/strings.h"

namespace privmilter {
namespace {

constexpr std::string_view kMessageLocation = "message";
constexpr std::string_view kEnvelopeLocation = "envelope";

std::string_view name_of(RecipientClass selects) {
  switch (selects) {
    case RecipientClass::external: return "external";
    case RecipientClass::internal: return "internal";
    case RecipientClass::lookalike: return "lookalike";
    case RecipientClass::webmail: return "webmail";
    case RecipientClass::unauthorized: return "unauthorized";
    case RecipientClass::walled: return "walled";
  }
  return "unknown";
}

bool any_selected(const std::vector<bool>& selected) {
  return std::find(selected.begin(), selected.end(), true) != selected.end();
}

Selection whole_message(bool holds) { return {holds, std::nullopt}; }

}  // namespace

Evidence ConditionEvaluator::make_evidence(std::string detector, std::string location, std::string shown) const {
  return Evidence{rule_id_, std::move(detector), std::move(location), std::move(shown), std::nullopt, 1};
}

Selection ConditionEvaluator::evaluate(const Condition& condition, std::vector<Evidence>& evidence) const {
  return std::visit([&](const auto& node) { return evaluate_node(node, evidence); }, condition.node);
}

Selection ConditionEvaluator::evaluate_node(const ContentCondition& condition, std::vector<Evidence>& evidence) const {
  const auto& segments = context_.facts().segments;
  const TextMatcher& matcher = *context_.policy().detectors()[condition.detector].matcher;
  // Identities stay in this function: they may be the raw numbers.
  std::set<std::string_view, std::less<>> distinct;
  std::vector<Evidence> gathered;
  for (const DetectorHit& hit : context_.hits(condition.detector)) {
    const TextSegment& segment = segments[hit.segment];
    if (!condition.in.admits(segment.kind)) continue;
    distinct.insert(hit.match.identity);
    // One evidence entry per text location, counting the findings there.
    if (!gathered.empty() && gathered.back().location == segment.location) {
      ++gathered.back().count;
      continue;
    }
    if (gathered.size() == kMaxEvidencePerCondition) continue;
    Evidence item = make_evidence(matcher.detector(), segment.location, hit.match.shown);
    item.offset = hit.match.offset;
    gathered.push_back(std::move(item));
  }
  if (distinct.empty() || distinct.size() < condition.min_count) return whole_message(false);
  evidence.insert(evidence.end(), std::make_move_iterator(gathered.begin()), std::make_move_iterator(gathered.end()));
  return whole_message(true);
}

Selection ConditionEvaluator::evaluate_node(const EncryptionCondition& condition,
                                            std::vector<Evidence>& evidence) const {
  const MessageFacts& facts = context_.facts();
  if (condition.unencrypted == facts.encrypted()) return whole_message(false);
  evidence.push_back(make_evidence(condition.unencrypted ? "unencrypted" : "encrypted", std::string(kMessageLocation),
                                   std::string(to_string(facts.encryption))));
  return whole_message(true);
}

std::string ConditionEvaluator::recipient_reason(RecipientClass selects, const RecipientInfo& recipient) const {
  const FirmDirectory& firm = context_.firm();
  switch (selects) {
    case RecipientClass::external:
      return recipient.internal ? std::string() : recipient.domain;
    case RecipientClass::internal:
      return recipient.internal ? recipient.domain : std::string();
    case RecipientClass::lookalike: {
      if (recipient.internal) return {};
      const std::optional<std::string> imitated = firm.imitated_domain(recipient.domain);
      return imitated ? recipient.domain + " imitates " + *imitated : std::string();
    }
    case RecipientClass::webmail:
      return firm.is_webmail(recipient.domain) ? recipient.domain : std::string();
    case RecipientClass::unauthorized:
      for (const ReferencedMatter& referenced : context_.matters()) {
        if (!firm.is_authorized(*referenced.matter, recipient.address, recipient.internal)) {
          return recipient.domain + " not authorized for matter " + referenced.matter->number;
        }
      }
      return {};
    case RecipientClass::walled:
      if (recipient.user == nullptr) return {};
      for (const ReferencedMatter& referenced : context_.matters()) {
        if (const Wall* wall = firm.screening_wall(*recipient.user, *referenced.matter)) {
          return "wall " + wall->id + " screens a recipient from matter " + referenced.matter->number;
        }
      }
      return {};
  }
  return {};
}

Selection ConditionEvaluator::evaluate_node(const RecipientCondition& condition,
                                            std::vector<Evidence>& evidence) const {
  const auto& recipients = context_.recipients();
  std::vector<bool> selected(recipients.size(), false);
  std::set<std::string, std::less<>> reported;
  const std::string detector = "recipient:" + std::string(name_of(condition.selects));
  for (std::size_t index = 0; index < recipients.size(); ++index) {
    std::string reason = recipient_reason(condition.selects, recipients[index]);
    if (reason.empty()) continue;
    selected[index] = true;
    // The reason names a domain, never a person's address.
    if (reported.size() < kMaxEvidencePerCondition && reported.insert(reason).second) {
      evidence.push_back(make_evidence(detector, std::string(kEnvelopeLocation), std::move(reason)));
    }
  }
  const bool holds = any_selected(selected);
  return {holds, std::move(selected)};
}

Selection ConditionEvaluator::evaluate_node(const SenderCondition& condition, std::vector<Evidence>& evidence) const {
  const User* sender = context_.sender();
  const FirmDirectory& firm = context_.firm();
  switch (condition.test) {
    case SenderCondition::Test::unknown:
      if (sender != nullptr) return whole_message(false);
      evidence.push_back(make_evidence("sender:unknown", std::string(kEnvelopeLocation), domain_of(context_.envelope().sender)));
      return whole_message(true);
    case SenderCondition::Test::user:
      if (sender == nullptr || sender->id != condition.name) return whole_message(false);
      evidence.push_back(make_evidence("sender:user", std::string(kEnvelopeLocation), condition.name));
      return whole_message(true);
    case SenderCondition::Test::group:
      if (sender == nullptr || !firm.in_group(*sender, condition.name)) return whole_message(false);
      evidence.push_back(make_evidence("sender:group", std::string(kEnvelopeLocation), condition.name));
      return whole_message(true);
    case SenderCondition::Test::walled:
      if (sender == nullptr) return whole_message(false);
      for (const ReferencedMatter& referenced : context_.matters()) {
        if (const Wall* wall = firm.screening_wall(*sender, *referenced.matter)) {
          evidence.push_back(make_evidence("sender:walled", std::string(kEnvelopeLocation),
                                           "wall " + wall->id + " screens the sender from matter " +
                                               referenced.matter->number));
          return whole_message(true);
        }
      }
      return whole_message(false);
  }
  return whole_message(false);
}

Selection ConditionEvaluator::evaluate_node(const MatterCondition& condition, std::vector<Evidence>& evidence) const {
  if (condition.known) {
    const auto& matters = context_.matters();
    for (std::size_t index = 0; index < matters.size() && index < kMaxEvidencePerCondition; ++index) {
      Evidence item = make_evidence("matter:known", matters[index].location, matters[index].matter->number);
      item.offset = matters[index].offset;
      evidence.push_back(std::move(item));
    }
    return whole_message(!matters.empty());
  }
  const auto& unknown = context_.unknown_matter_numbers();
  for (std::size_t index = 0; index < unknown.size() && index < kMaxEvidencePerCondition; ++index) {
    Evidence item = make_evidence("matter:unknown", context_.facts().segments[unknown[index].segment].location,
                                  unknown[index].match.shown);
    item.offset = unknown[index].match.offset;
    evidence.push_back(std::move(item));
  }
  return whole_message(!unknown.empty());
}

Selection ConditionEvaluator::evaluate_node(const SubjectTagCondition& condition,
                                            std::vector<Evidence>& evidence) const {
  if (ascii_lower(context_.facts().subject).find(condition.tag) == std::string::npos) return whole_message(false);
  evidence.push_back(make_evidence("subject:tag", "subject", condition.tag));
  return whole_message(true);
}

Selection ConditionEvaluator::evaluate_node(const AttachmentCondition& condition,
                                            std::vector<Evidence>& evidence) const {
  return whole_message(attachment_holds(condition, {context_.facts(), rule_id_, kMaxEvidencePerCondition}, evidence));
}

Selection ConditionEvaluator::evaluate_node(const UninspectableCondition&, std::vector<Evidence>& evidence) const {
  return whole_message(uninspectable_holds({context_.facts(), rule_id_, kMaxEvidencePerCondition}, evidence));
}

Selection ConditionEvaluator::evaluate_node(const ProtectionCondition& condition,
                                            std::vector<Evidence>& evidence) const {
  return whole_message(protection_holds(condition, {context_.facts(), rule_id_, kMaxEvidencePerCondition}, evidence));
}

Selection ConditionEvaluator::evaluate_node(const SizeCondition& condition, std::vector<Evidence>& evidence) const {
  return whole_message(size_holds(condition, {context_.facts(), rule_id_, kMaxEvidencePerCondition}, evidence));
}

// All children must hold; recipient selections intersect.
Selection ConditionEvaluator::evaluate_node(const AllCondition& condition, std::vector<Evidence>& evidence) const {
  std::vector<Evidence> gathered;
  Selection combined = whole_message(true);
  for (const Condition& child : condition.children) {
    Selection selection = evaluate(child, gathered);
    if (!selection.holds) return whole_message(false);
    if (!selection.recipients) continue;
    if (!combined.recipients) {
      combined.recipients = std::move(selection.recipients);
      continue;
    }
    for (std::size_t index = 0; index < combined.recipients->size(); ++index) {
      (*combined.recipients)[index] = (*combined.recipients)[index] && (*selection.recipients)[index];
    }
    if (!any_selected(*combined.recipients)) return whole_message(false);
  }
  evidence.insert(evidence.end(), std::make_move_iterator(gathered.begin()), std::make_move_iterator(gathered.end()));
  return combined;
}

// Some child must hold; a child about the whole message makes the whole
// selection about every recipient, otherwise selections unite.
Selection ConditionEvaluator::evaluate_node(const AnyCondition& condition, std::vector<Evidence>& evidence) const {
  Selection combined = whole_message(false);
  bool whole = false;
  for (const Condition& child : condition.children) {
    Selection selection = evaluate(child, evidence);
    if (!selection.holds) continue;
    combined.holds = true;
    if (!selection.recipients) {
      whole = true;
      continue;
    }
    if (!combined.recipients) {
      combined.recipients = std::move(selection.recipients);
      continue;
    }
    for (std::size_t index = 0; index < combined.recipients->size(); ++index) {
      (*combined.recipients)[index] = (*combined.recipients)[index] || (*selection.recipients)[index];
    }
  }
  if (whole) combined.recipients.reset();
  return combined;
}

// `not` is about the message: "not: {recipient: external}" holds when no
// recipient is external. What the inner condition found is evidence
// against the rule, so it is dropped.
Selection ConditionEvaluator::evaluate_node(const NotCondition& condition, std::vector<Evidence>&) const {
  std::vector<Evidence> discarded;
  return whole_message(!evaluate(*condition.child, discarded).holds);
}

}  // namespace privmilter
