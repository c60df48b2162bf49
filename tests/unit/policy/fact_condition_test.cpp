// Conditions over extraction facts rather than text: attachment flags,
// types and names, uninspectable content, protection and message size.

#include <gtest/gtest.h>

#include <initializer_list>

#include "policy_test_support.h"

namespace privmilter::policy_test {
namespace {

std::shared_ptr<const Policy> single_rule(const std::string& when) {
  return load("version: 1\nrules:\n  - id: r\n    when: " + when + "\n    action: quarantine\n");
}

bool holds(const std::string& when, const MessageFacts& facts) {
  const auto policy = single_rule(when);
  if (!policy) return false;
  return fired(evaluate_for(*policy, facts), "r");
}

std::vector<Evidence> evidence_for(const std::string& when, const MessageFacts& facts) {
  const auto policy = single_rule(when);
  if (!policy) return {};
  return evaluate_for(*policy, facts).all_evidence();
}

PartFact part(std::string path, std::string filename, std::string content_type,
              std::initializer_list<PartFlag> flags, std::string reason = {}) {
  PartFact fact;
  fact.path = std::move(path);
  fact.filename = std::move(filename);
  fact.content_type = std::move(content_type);
  for (const PartFlag flag : flags) fact.set(flag);
  fact.uninspectable_reason = std::move(reason);
  return fact;
}

MessageFacts with_parts(std::vector<PartFact> parts) {
  MessageFacts facts = message({subject("documents"), body("see attached")});
  facts.parts = std::move(parts);
  return facts;
}

const char* const kDocx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

TEST(AttachmentCondition, FlagNeedsAnAttachmentCarryingIt) {
  const MessageFacts locked = with_parts(
      {part("2", "Memo.DOCX", kDocx, {PartFlag::attachment, PartFlag::encrypted, PartFlag::password_protected})});
  EXPECT_TRUE(holds("{ attachment: { flag: password_protected } }", locked));
  EXPECT_TRUE(holds("{ attachment: { flag: encrypted } }", locked));
  EXPECT_FALSE(holds("{ attachment: { flag: tracked_changes } }", locked));
  EXPECT_FALSE(holds("{ attachment: { flag: signed } }", locked));

  // The flag on something that is not an attachment (the message's own
  // S/MIME layer) does not count.
  const MessageFacts inline_part = with_parts({part("1", "", "application/pkcs7-mime", {PartFlag::encrypted})});
  EXPECT_FALSE(holds("{ attachment: { flag: encrypted } }", inline_part));
  EXPECT_FALSE(holds("{ attachment: { flag: encrypted } }", with_parts({})));
}

TEST(AttachmentCondition, EveryFlagNameReachesItsFlag) {
  const std::vector<std::pair<std::string, PartFlag>> names = {
      {"encrypted", PartFlag::encrypted},          {"password_protected", PartFlag::password_protected},
      {"signed", PartFlag::signed_data},           {"uninspectable", PartFlag::uninspectable},
      {"tracked_changes", PartFlag::tracked_changes}, {"comments", PartFlag::comments},
      {"hidden_text", PartFlag::hidden_text}};
  for (const auto& [name, flag] : names) {
    const MessageFacts facts = with_parts({part("2", "a.bin", "application/octet-stream", {PartFlag::attachment, flag})});
    for (const auto& [other_name, other_flag] : names) {
      EXPECT_EQ(holds("{ attachment: { flag: " + other_name + " } }", facts), other_flag == flag)
          << "part flagged " << name << ", condition on " << other_name;
    }
  }
}

TEST(AttachmentCondition, AllGivenKeysMustMatchTheSamePart) {
  const MessageFacts facts = with_parts({
      part("2", "notes.docx", kDocx, {PartFlag::attachment}),
      part("3", "scan.pdf", "application/pdf", {PartFlag::attachment, PartFlag::tracked_changes}),
  });
  // tracked changes and .docx exist, but not on the same attachment.
  EXPECT_FALSE(holds("{ attachment: { flag: tracked_changes, name: '*.docx' } }", facts));
  EXPECT_TRUE(holds("{ attachment: { flag: tracked_changes, name: '*.pdf' } }", facts));
  EXPECT_TRUE(holds("{ attachment: { flag: tracked_changes, type: 'application/pdf', name: 'scan.*' } }", facts));
  EXPECT_FALSE(holds("{ attachment: { flag: tracked_changes, type: 'application/pdf', name: 'other.*' } }", facts));
}

TEST(AttachmentCondition, TypePrefersTheDetectedType) {
  PartFact disguised = part("2", "invoice.pdf", "application/pdf", {PartFlag::attachment});
  disguised.detected_type = "application/zip";
  const MessageFacts facts = with_parts({disguised});
  EXPECT_TRUE(holds("{ attachment: { type: application/zip } }", facts));
  EXPECT_FALSE(holds("{ attachment: { type: application/pdf } }", facts));
  // The declared type decides when nothing was detected.
  EXPECT_TRUE(holds("{ attachment: { type: 'application/vnd.openxmlformats-officedocument.*' } }",
                    with_parts({part("2", "m.docx", kDocx, {PartFlag::attachment})})));
  EXPECT_FALSE(holds("{ attachment: { type: 'application/vnd.openxmlformats-officedocument.*' } }",
                     with_parts({part("2", "m.doc", "application/msword", {PartFlag::attachment})})));
}

TEST(AttachmentCondition, NameIsCaseInsensitive) {
  const MessageFacts facts = with_parts({part("2", "Settlement DRAFT.Docx", kDocx, {PartFlag::attachment})});
  EXPECT_TRUE(holds("{ attachment: { name: '*.docx' } }", facts));
  EXPECT_TRUE(holds("{ attachment: { name: '*draft*' } }", facts));
  EXPECT_FALSE(holds("{ attachment: { name: '*.pdf' } }", facts));
  // A part without a file name only matches a name pattern that allows none.
  const MessageFacts unnamed = with_parts({part("2", "", "application/pdf", {PartFlag::attachment})});
  EXPECT_FALSE(holds("{ attachment: { name: '?*' } }", unnamed));
  EXPECT_TRUE(holds("{ attachment: { name: '*' } }", unnamed));
}

TEST(AttachmentCondition, ReasonMatchesTheUninspectableReason) {
  const MessageFacts facts = with_parts({
      part("2", "bundle.zip", "application/zip", {PartFlag::attachment, PartFlag::uninspectable}, "limit:max_depth"),
      part("3", "old.doc", "application/msword", {PartFlag::attachment, PartFlag::uninspectable},
           "unsupported:application/msword"),
  });
  EXPECT_TRUE(holds("{ attachment: { reason: 'limit:*' } }", facts));
  EXPECT_TRUE(holds("{ attachment: { flag: uninspectable, reason: 'unsupported:*', name: '*.doc' } }", facts));
  EXPECT_FALSE(holds("{ attachment: { reason: 'limit:*', name: '*.doc' } }", facts));
  EXPECT_FALSE(holds("{ attachment: { reason: encrypted } }", facts));
}

TEST(AttachmentCondition, EvidenceNamesTheClausePathAndFile) {
  PartFact unnamed = part("2/attachment[bundle.zip]/3", "", "application/pdf", {PartFlag::attachment, PartFlag::encrypted});
  unnamed.detected_type = "application/pdf";
  const MessageFacts facts = with_parts({
      part("2", "Memo.docx", kDocx, {PartFlag::attachment, PartFlag::encrypted}),
      unnamed,
  });
  const std::vector<Evidence> evidence = evidence_for("{ attachment: { flag: encrypted } }", facts);
  ASSERT_EQ(evidence.size(), 2u);
  EXPECT_EQ(evidence[0].rule_id, "r");
  EXPECT_EQ(evidence[0].detector, "attachment:flag=encrypted");
  EXPECT_EQ(evidence[0].location, "2");
  EXPECT_EQ(evidence[0].masked_match, "Memo.docx");
  EXPECT_EQ(evidence[1].location, "2/attachment[bundle.zip]/3");
  EXPECT_EQ(evidence[1].masked_match, "application/pdf");  // no name: the type

  const std::vector<Evidence> combined =
      evidence_for("{ attachment: { flag: encrypted, type: '*/*', name: 'memo.*', reason: '*' } }", facts);
  ASSERT_EQ(combined.size(), 1u);
  EXPECT_EQ(combined[0].detector, "attachment:flag=encrypted,type=*/*,name=memo.*,reason=*");
}

TEST(AttachmentCondition, EvidenceIsCappedAtFive) {
  std::vector<PartFact> parts;
  for (int i = 0; i < 12; ++i) {
    parts.push_back(part(std::to_string(i + 2), "f" + std::to_string(i) + ".pdf", "application/pdf",
                         {PartFlag::attachment, PartFlag::hidden_text}));
  }
  const std::vector<Evidence> evidence = evidence_for("{ attachment: { flag: hidden_text } }", with_parts(parts));
  ASSERT_EQ(evidence.size(), 5u);
  EXPECT_EQ(evidence[4].masked_match, "f4.pdf");
}

TEST(UninspectableCondition, AnyPartOrTheMessageItself) {
  EXPECT_FALSE(holds("{ uninspectable: true }", with_parts({part("2", "a.pdf", "application/pdf", {PartFlag::attachment})})));
  // Not an attachment: an inline part that could not be read still counts.
  EXPECT_TRUE(holds("{ uninspectable: true }",
                    with_parts({part("1", "", "text/html", {PartFlag::uninspectable}, "limit:max_text_bytes")})));

  // Message-level limits are recorded with an empty path.
  const std::vector<Evidence> evidence = evidence_for(
      "{ uninspectable: true }",
      with_parts({part("", "", "", {PartFlag::uninspectable}, "limit:max_parts"),
                  part("3", "x.bin", "application/octet-stream", {PartFlag::attachment, PartFlag::uninspectable})}));
  ASSERT_EQ(evidence.size(), 2u);
  EXPECT_EQ(evidence[0].detector, "uninspectable");
  EXPECT_EQ(evidence[0].location, "message");
  EXPECT_EQ(evidence[0].masked_match, "limit:max_parts");
  EXPECT_EQ(evidence[1].location, "3");
  EXPECT_EQ(evidence[1].masked_match, "unknown");
}

TEST(ProtectedCondition, FollowsAllContentProtected) {
  MessageFacts clear = with_parts({});
  MessageFacts sealed = message({subject("x")}, EncryptionState::smime_enveloped);
  sealed.all_content_protected = true;
  MessageFacts attachments_only = with_parts(
      {part("2", "m.docx", kDocx, {PartFlag::attachment, PartFlag::encrypted, PartFlag::password_protected})});
  attachments_only.all_content_protected = true;

  EXPECT_FALSE(holds("{ protected: true }", clear));
  EXPECT_TRUE(holds("{ protected: true }", sealed));
  EXPECT_TRUE(holds("{ protected: true }", attachments_only));
  EXPECT_TRUE(holds("{ protected: false }", clear));
  EXPECT_FALSE(holds("{ protected: false }", sealed));

  std::vector<Evidence> evidence = evidence_for("{ protected: true }", sealed);
  ASSERT_EQ(evidence.size(), 1u);
  EXPECT_EQ(evidence[0].detector, "protected");
  EXPECT_EQ(evidence[0].location, "message");
  EXPECT_EQ(evidence[0].masked_match, std::string(to_string(EncryptionState::smime_enveloped)));
  evidence = evidence_for("{ protected: true }", attachments_only);
  ASSERT_EQ(evidence.size(), 1u);
  EXPECT_EQ(evidence[0].masked_match, "every attachment encrypted");
  evidence = evidence_for("{ protected: false }", clear);
  ASSERT_EQ(evidence.size(), 1u);
  EXPECT_EQ(evidence[0].detector, "unprotected");
  EXPECT_EQ(evidence[0].location, "message");
}

TEST(ProtectedCondition, UnencryptedStillMeansTheWholeMessage) {
  // A clear cover note with an encrypted attachment: not encrypted as a
  // message, and not fully protected either.
  const MessageFacts facts =
      with_parts({part("2", "m.docx", kDocx, {PartFlag::attachment, PartFlag::encrypted})});
  EXPECT_TRUE(holds("{ unencrypted: true }", facts));
  EXPECT_TRUE(holds("{ protected: false }", facts));
}

MessageFacts of_size(std::size_t bytes) {
  MessageFacts facts = with_parts({});
  facts.message_bytes = bytes;
  return facts;
}

TEST(SizeCondition, OverIsStrictlyGreater) {
  EXPECT_FALSE(holds("{ size: { over: 1000 } }", of_size(1000)));
  EXPECT_TRUE(holds("{ size: { over: 1000 } }", of_size(1001)));
  EXPECT_TRUE(holds("{ size: { over: 0 } }", of_size(1)));
  EXPECT_FALSE(holds("{ size: { over: 0 } }", of_size(0)));
}

TEST(SizeCondition, SuffixesAreBinaryMultiples) {
  EXPECT_FALSE(holds("{ size: { over: 500KB } }", of_size(512000)));
  EXPECT_TRUE(holds("{ size: { over: 500KB } }", of_size(512001)));
  EXPECT_FALSE(holds("{ size: { over: 10MB } }", of_size(10485760)));
  EXPECT_TRUE(holds("{ size: { over: 10MB } }", of_size(10485761)));
  EXPECT_TRUE(holds("{ size: { over: 10mb } }", of_size(10485761)));
  EXPECT_FALSE(holds("{ size: { over: 1GB } }", of_size(std::size_t{1} << 30)));
  EXPECT_TRUE(holds("{ size: { over: 1GB } }", of_size((std::size_t{1} << 30) + 1)));
  EXPECT_TRUE(holds("{ size: { over: 20B } }", of_size(21)));
}

TEST(SizeCondition, EvidenceShowsLimitAndSize) {
  const std::vector<Evidence> evidence = evidence_for("{ size: { over: 1KB } }", of_size(4096));
  ASSERT_EQ(evidence.size(), 1u);
  EXPECT_EQ(evidence[0].detector, "size:over=1KB");
  EXPECT_EQ(evidence[0].location, "message");
  EXPECT_EQ(evidence[0].masked_match, "4096 bytes");
}

TEST(FactConditions, CombineWithOtherConditions) {
  const std::string when =
      "{ all: [ { recipient: external }, { not: { protected: true } },"
      " { any: [ { attachment: { flag: tracked_changes } }, { size: { over: 1MB } } ] } ] }";
  MessageFacts tracked = with_parts({part("2", "m.docx", kDocx, {PartFlag::attachment, PartFlag::tracked_changes})});
  EXPECT_TRUE(holds(when, tracked));
  tracked.all_content_protected = true;
  EXPECT_FALSE(holds(when, tracked));
  EXPECT_TRUE(holds(when, of_size(2 << 20)));
  EXPECT_FALSE(holds(when, of_size(1000)));
}

}  // namespace
}  // namespace privmilter::policy_test
