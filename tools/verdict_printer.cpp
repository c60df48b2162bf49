#include "verdict_printer.h"

#include "privmilter/json.h"

namespace privmilter::tools {
namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string rule_markers(const FiredRule& rule) {
  std::string markers;
  if (rule.monitor) markers += " [monitor]";
  if (rule.confirmed) markers += " [confirmed]";
  return markers;
}

std::string hit_line(const Evidence& hit) {
  std::string line = hit.detector + " " + hit.location;
  if (hit.offset) line += "@" + std::to_string(*hit.offset);
  if (!hit.masked_match.empty()) line += " \"" + hit.masked_match + "\"";
  if (hit.count != 1) line += " (" + std::to_string(hit.count) + " findings)";
  return line;
}

void print_delivery_changes(std::ostream& out, const Verdict& verdict, const std::string& indent) {
  if (verdict.reply) {
    out << indent << "  reply: " << verdict.reply->code << " " << verdict.reply->xcode << " " << verdict.reply->text
        << "\n";
  }
  if (verdict.new_subject) out << indent << "  new subject: " << *verdict.new_subject << "\n";
  if (!verdict.route.empty()) out << indent << "  route: " << verdict.route << "\n";
  for (const HeaderField& header : verdict.add_headers) {
    out << indent << "  add header: " << header.name << ": " << header.value << "\n";
  }
  if (verdict.notify_sender || !verdict.notify_also.empty()) {
    std::vector<std::string> notified;
    if (verdict.notify_sender) notified.emplace_back("sender");
    notified.insert(notified.end(), verdict.notify_also.begin(), verdict.notify_also.end());
    out << indent << "  notify: " << joined(notified) << "\n";
  }
  if (verdict.confirmation) {
    out << indent << "  confirmed by the sender: " << verdict.confirmation->justification << "\n";
  }
  if (verdict.monitor_action) {
    out << indent << "  monitored rules would have made it: " << to_string(*verdict.monitor_action) << "\n";
  }
}

}  // namespace

nlohmann::json facts_summary_json(const MessageFacts& facts) {
  nlohmann::json segments = nlohmann::json::array();
  for (const TextSegment& segment : facts.segments) {
    segments.push_back(
        {{"kind", to_string(segment.kind)}, {"location", segment.location}, {"chars", segment.text.size()}});
  }
  nlohmann::json parts = nlohmann::json::array();
  for (const PartFact& part : facts.parts) parts.push_back(to_json_value(part));
  return {{"bytes", facts.message_bytes},
          {"mime_parts", facts.part_count},
          {"encryption", to_string(facts.encryption)},
          {"all_content_protected", facts.all_content_protected},
          {"segments", segments},
          {"parts", parts},
          {"defects", facts.defects}};
}

void print_facts_text(std::ostream& out, const std::string& message_path, const MessageFacts& facts) {
  out << "message: " << message_path << " (" << facts.message_bytes << " bytes, " << facts.part_count
      << " parts, encryption: " << to_string(facts.encryption) << ")\n";
  for (const TextSegment& segment : facts.segments) {
    out << "  text " << segment.location << " (" << segment.text.size() << " bytes)\n";
  }
  for (const PartFact& part : facts.parts) {
    out << "  part " << part.path << " " << part.content_type << " '" << part.filename << "' (" << part.size
        << " bytes)";
    if (!part.uninspectable_reason.empty()) out << " uninspectable: " << part.uninspectable_reason;
    out << "\n";
  }
  for (const std::string& defect : facts.defects) out << "  defect: " << defect << "\n";
}

void print_verdict_text(std::ostream& out, const Verdict& verdict, const std::string& indent) {
  out << indent << "verdict: " << to_string(verdict.action);
  if (!verdict.deciding_rule.empty()) out << " (rule " << verdict.deciding_rule << ")";
  out << "\n";
  print_delivery_changes(out, verdict, indent);
  if (!verdict.recipients.empty()) out << indent << "recipients:\n";
  for (const RecipientVerdict& recipient : verdict.recipients) {
    out << indent << "  " << recipient.address << ": " << to_string(recipient.action);
    if (!recipient.rules.empty()) out << " (" << joined(recipient.rules) << ")";
    out << "\n";
  }
  if (!verdict.removed_recipients.empty()) out << indent << "removed: " << joined(verdict.removed_recipients) << "\n";
  out << indent << "rules fired: " << (verdict.fired.empty() ? "none" : std::to_string(verdict.fired.size())) << "\n";
  for (const FiredRule& rule : verdict.fired) {
    out << indent << "  " << rule.rule_id << ": " << to_string(rule.action) << rule_markers(rule);
    if (!rule.recipients.empty()) out << " (recipients: " << joined(rule.recipients) << ")";
    out << "\n";
    for (const Evidence& hit : rule.evidence) out << indent << "    " << hit_line(hit) << "\n";
  }
}

std::string fired_rules_summary(const Verdict& verdict) {
  std::vector<std::string> rules;
  for (const FiredRule& rule : verdict.fired) rules.push_back(rule.rule_id + rule_markers(rule));
  return rules.empty() ? "none" : joined(rules);
}

}  // namespace privmilter::tools
