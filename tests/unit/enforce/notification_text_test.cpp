#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "privmilter/notify.h"

namespace privmilter {
namespace {

const std::string kReference = "20261128T163301Z-9f2c41d07a3be815";
const std::string kSender = "alice@examplelaw.com";
const std::vector<std::string> kRecipients = {"bob@client.example", "carol@other.example"};

NotifySettings settings() {
  NotifySettings notify;
  notify.from = "postmaster@examplelaw.com";
  notify.outbox = "/nonexistent/outbox";
  return notify;
}

// Content evidence as the policy records it; recipient evidence names a
// domain and sits at "envelope".
Evidence evidence(const std::string& rule, const std::string& detector, const std::string& masked) {
  const bool about_parties = detector.starts_with("recipient:") || detector.starts_with("sender:");
  return Evidence{rule, detector, about_parties ? "envelope" : "1 text/plain", masked, 120, 1};
}

// A held message whose subject, content and evidence are all sensitive.
Verdict held_verdict() {
  Verdict verdict;
  verdict.action = Action::quarantine;
  verdict.deciding_rule = "privileged-unencrypted-external";
  verdict.notify_sender = true;
  verdict.new_subject = "[EXTERNAL] Project Falcon merger terms";
  verdict.fired.push_back({"privileged-unencrypted-external", Action::quarantine, false, false, kRecipients,
                           {evidence("privileged-unencrypted-external", "list:privilege_markings", "att*************ged"),
                            evidence("privileged-unencrypted-external", "recipient:external", "client.example")}});
  verdict.fired.push_back({"ssn-outbound", Action::quarantine, false, false, kRecipients,
                           {evidence("ssn-outbound", "identifier:us_ssn", "***-**-6789")}});
  verdict.fired.push_back({"monitored-webmail", Action::reject, true, false, kRecipients,
                           {evidence("monitored-webmail", "recipient:webmail", "gmail.com")}});
  return verdict;
}

Notification compose(const Verdict& verdict, const std::string& outcome, const std::string& sender = kSender) {
  return compose_notification(settings(), "Example Law LLP", sender, kRecipients, verdict, outcome, kReference);
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The body with its wrapping undone, for phrases that may span lines.
std::string flat(const std::string& body) {
  std::string out;
  for (const char c : body) {
    const char shown = (c == '\n') ? ' ' : c;
    if (shown == ' ' && !out.empty() && out.back() == ' ') continue;
    out += shown;
  }
  return out;
}

std::string lf(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) out += text[i];
  }
  return out;
}

// RFC 2045 quoted-printable, for reading back what the notifier sends.
std::string decode_quoted_printable(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '=' && i + 2 < text.size() && text[i + 1] == '\r' && text[i + 2] == '\n') {
      i += 2;
    } else if (text[i] == '=' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      out += '\n';
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

TEST(NotificationText, HeldMessageSaysWhatWhyAndWhatNextInPlainWords) {
  const auto notification = compose(held_verdict(), std::string(kOutcomeQuarantined));
  EXPECT_EQ(notification.to, std::vector<std::string>{kSender});
  EXPECT_EQ(notification.subject, "Your message was held for review [ref " + kReference + "]");
  EXPECT_EQ(notification.from_name, "Example Law LLP mail protection");
  const std::string& body = notification.body;
  EXPECT_TRUE(has(body, "bob@client.example and carol@other.example")) << body;
  EXPECT_TRUE(has(flat(body), "was held for review by the firm's security team")) << body;
  EXPECT_TRUE(has(flat(body), "a privilege or confidentiality marking and a recipient outside the firm (rule "
                              "privileged-unencrypted-external)"))
      << body;
  EXPECT_TRUE(has(body, "a US social security number (rule ssn-outbound)")) << body;
  EXPECT_TRUE(has(body, "Reference: " + kReference)) << body;
  EXPECT_TRUE(has(body, "security team")) << body;
  // Monitored rules changed nothing, so they are not given as a reason.
  EXPECT_FALSE(has(body, "monitored-webmail")) << body;
  EXPECT_FALSE(has(body, "webmail")) << body;
}

TEST(NotificationText, NeverCarriesSubjectContentOrEvidence) {
  const Verdict verdict = held_verdict();
  for (const auto* outcome : {"quarantined", "rejected", "delivered"}) {
    const auto notification = compose(verdict, outcome);
    const std::string message = render_notification(notification, "postmaster@examplelaw.com",
                                                    std::chrono::system_clock::now());
    for (const auto& text : {notification.subject, notification.body, message}) {
      EXPECT_FALSE(has(text, "Falcon")) << text;
      EXPECT_FALSE(has(text, "merger")) << text;
      for (const auto& item : verdict.all_evidence()) {
        if (item.location == "envelope") continue;  // a recipient's domain, named anyway
        EXPECT_FALSE(has(text, item.masked_match)) << item.masked_match << " in " << text;
        EXPECT_FALSE(has(text, item.location)) << item.location << " in " << text;
      }
    }
  }
}

TEST(NotificationText, TellsTheSenderOnlyWhenAskedAndCompliananceAlways) {
  Verdict verdict = held_verdict();
  verdict.notify_sender = false;
  EXPECT_TRUE(compose(verdict, "quarantined").to.empty());

  verdict.notify_also = {"compliance@examplelaw.com", "COMPLIANCE@examplelaw.com", "bad address\r\nBcc: x@y"};
  auto notification = compose(verdict, "quarantined");
  EXPECT_EQ(notification.to, std::vector<std::string>{"compliance@examplelaw.com"});
  EXPECT_EQ(notification.subject, "A message from alice@examplelaw.com was held for review [ref " + kReference + "]");
  EXPECT_TRUE(has(flat(notification.body), "The message from alice@examplelaw.com to bob@client.example")) << notification.body;

  verdict.notify_sender = true;
  notification = compose(verdict, "quarantined");
  EXPECT_EQ(notification.to, (std::vector<std::string>{kSender, "compliance@examplelaw.com"}));
  EXPECT_TRUE(has(flat(notification.body), "A copy of this notice went to compliance@examplelaw.com.")) << notification.body;

  // The null sender (a bounce) is never written to.
  verdict.notify_also.clear();
  EXPECT_TRUE(compose(verdict, "quarantined", "").to.empty());

  // A notify action tells the sender without the rule option.
  Verdict notify_only;
  notify_only.action = Action::notify;
  notify_only.fired.push_back({"external-notice", Action::notify, false, false, kRecipients, {}});
  notification = compose(notify_only, "delivered");
  EXPECT_EQ(notification.to, std::vector<std::string>{kSender});
  EXPECT_TRUE(has(flat(notification.body), "was delivered")) << notification.body;
  EXPECT_TRUE(has(flat(notification.body), "the firm's policy rule external-notice")) << notification.body;
  EXPECT_TRUE(has(flat(notification.body), "for your information")) << notification.body;
}

TEST(NotificationText, RejectUnlessConfirmedExplainsHowToConfirm) {
  Verdict verdict;
  verdict.action = Action::reject_unless_confirmed;
  verdict.notify_sender = true;
  verdict.fired.push_back({"webmail-confirm", Action::reject_unless_confirmed, false, false, {"bob@gmail.com"},
                           {evidence("webmail-confirm", "recipient:webmail", "gmail.com")}});
  const auto notification = compose(verdict, "rejected");
  EXPECT_EQ(notification.subject, "Your message was not sent [ref " + kReference + "]");
  EXPECT_TRUE(has(flat(notification.body), "a personal webmail address (rule webmail-confirm)")) << notification.body;
  EXPECT_TRUE(has(flat(notification.body), "\"[confirmed: your reason]\" in the subject")) << notification.body;

  verdict.action = Action::reject;
  verdict.fired[0].action = Action::reject;
  const auto plain = compose(verdict, "rejected");
  EXPECT_FALSE(has(flat(plain.body), "[confirmed:")) << plain.body;
  EXPECT_TRUE(has(flat(plain.body), "revise the message")) << plain.body;
}

TEST(NotificationText, RemovedRecipientsAreNamedAsNotReached) {
  Verdict verdict;
  verdict.action = Action::accept;
  verdict.notify_sender = true;
  verdict.removed_recipients = {"carol@other.example"};
  verdict.fired.push_back({"unauthorized-matter", Action::remove_recipients, false, false, {"carol@other.example"},
                           {evidence("unauthorized-matter", "recipient:unauthorized", "other.example"),
                            evidence("unauthorized-matter", "matter:known", "1234-567")}});
  const auto notification = compose(verdict, std::string(kOutcomeRecipientsRemoved));
  EXPECT_EQ(notification.subject, "Your message did not go to all its recipients [ref " + kReference + "]");
  EXPECT_TRUE(has(flat(notification.body), "delivered to bob@client.example, but NOT to carol@other.example")) << notification.body;
  EXPECT_TRUE(has(flat(notification.body), "not authorised for this matter")) << notification.body;
  EXPECT_TRUE(has(flat(notification.body), "a client-matter number")) << notification.body;
  EXPECT_FALSE(has(flat(notification.body), "1234-567")) << notification.body;
  EXPECT_TRUE(has(flat(notification.body), "did not receive")) << notification.body;
}

// An encrypt verdict whose recipient had no certificate, sent on to the
// gateway: the sender is told it went through the gateway, not that it
// was encrypted, which privmilter cannot know.
TEST(NotificationText, AGatewayFallbackIsNotCalledEncrypted) {
  Verdict verdict;
  verdict.action = Action::encrypt;
  verdict.notify_sender = true;
  verdict.fired.push_back({"secure-tag", Action::encrypt, false, false, {}, {}});
  const auto notification = compose(verdict, std::string(kOutcomeRouted));
  EXPECT_EQ(notification.subject, "Your message was sent through the secure gateway [ref " + kReference + "]");
  EXPECT_FALSE(has(flat(notification.subject + notification.body), "sent encrypted")) << notification.body;
}

TEST(NotificationText, DescribesEachDetectorKindInPlainWords) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"identifier:payment_card", "a payment card number"},
      {"identifier:iban", "a bank account number (IBAN)"},
      {"identifier:aba_routing", "a routing number"},
      {"matter:number", "a client-matter number"},
      {"recipient:lookalike", "an address that imitates a known domain"},
      {"recipient:walled", "an ethical wall"},
      {"sender:walled", "an ethical wall"},
      {"list:protective_order_markings", "a protective order marking"},
      {"regex:us_ssn", "a US social security number"},
      {"list:firm_disclaimer", "wording on the firm's \"firm disclaimer\" list"},
      {"mystery:thing", "the firm's policy rule r1"},
  };
  for (const auto& [detector, words] : cases) {
    Verdict verdict;
    verdict.action = Action::encrypt;
    verdict.notify_sender = true;
    verdict.fired.push_back({"r1", Action::encrypt, false, false, kRecipients, {evidence("r1", detector, "x***y")}});
    const auto notification = compose(verdict, std::string(kOutcomeEncrypted));
    EXPECT_TRUE(has(flat(notification.body), words)) << detector << ": " << notification.body;
    EXPECT_TRUE(has(flat(notification.body), "delivered encrypted")) << notification.body;
  }
}

TEST(NotificationText, RendersAProperAutomaticMessage) {
  Verdict verdict = held_verdict();
  verdict.notify_also = {"compliance@examplelaw.com"};
  const auto notification = compose(verdict, "quarantined");
  const auto when = std::chrono::system_clock::time_point(std::chrono::seconds(1795710781));  // 2026-11-26 16:33:01 UTC
  const std::string message = render_notification(notification, "postmaster@examplelaw.com", when);

  const auto split = message.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos);
  const std::string headers = message.substr(0, split + 2);
  const std::string body = message.substr(split + 4);
  EXPECT_TRUE(headers.starts_with("From: \"Example Law LLP mail protection\" <postmaster@examplelaw.com>\r\n")) << headers;
  EXPECT_TRUE(has(headers, "\r\nTo: alice@examplelaw.com, compliance@examplelaw.com\r\n")) << headers;
  EXPECT_TRUE(has(headers, "\r\nSubject: Your message was held for review [ref " + kReference + "]\r\n")) << headers;
  EXPECT_TRUE(has(headers, "\r\nDate: Thu, 26 Nov 2026 16:33:01 +0000\r\n")) << headers;
  const std::string id_prefix = "\r\nMessage-ID: <" + kReference + ".";
  const auto id = headers.find(id_prefix);
  ASSERT_NE(id, std::string::npos) << headers;
  const std::string random = headers.substr(id + id_prefix.size(), 16);
  EXPECT_EQ(random.find_first_not_of("0123456789abcdef"), std::string::npos) << headers;
  EXPECT_EQ(headers.substr(id + id_prefix.size() + 16, 18), "@examplelaw.com>\r\n") << headers;
  EXPECT_TRUE(has(headers, "\r\nMIME-Version: 1.0\r\n")) << headers;
  EXPECT_TRUE(has(headers, "\r\nContent-Type: text/plain; charset=utf-8\r\n")) << headers;
  EXPECT_TRUE(has(headers, "\r\nContent-Transfer-Encoding: 7bit\r\n")) << headers;
  EXPECT_TRUE(has(headers, "\r\nAuto-Submitted: auto-generated\r\n")) << headers;
  EXPECT_TRUE(has(headers, "\r\nX-Privmilter-Notification: " + kReference + "\r\n")) << headers;
  EXPECT_EQ(lf(body), notification.body);
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\n') {
      ASSERT_TRUE(i > 0 && message[i - 1] == '\r') << "bare LF at " << i;
    }
  }
}

TEST(NotificationText, NonAsciiFirmNameIsEncodedAndTheBodyQuotedPrintable) {
  Verdict verdict = held_verdict();
  auto notification = compose_notification(settings(), "M\xC3\xBCller & Partner\r\nBcc: eve@evil.example",
                                           kSender, kRecipients, verdict, "quarantined", kReference);
  const std::string message = render_notification(notification, "postmaster@examplelaw.com",
                                                  std::chrono::system_clock::now());
  const auto split = message.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos);
  const std::string headers = message.substr(0, split + 2);
  EXPECT_TRUE(headers.starts_with("From: =?UTF-8?B?")) << headers;
  EXPECT_FALSE(has(headers, "\r\nBcc:")) << headers;
  EXPECT_TRUE(has(headers, "\r\nContent-Transfer-Encoding: quoted-printable\r\n")) << headers;
  const std::string body = message.substr(split + 4);
  for (std::size_t start = 0; start < body.size();) {
    const auto end = body.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - start, 76u);
    for (std::size_t i = start; i < end; ++i) ASSERT_LT(static_cast<unsigned char>(body[i]), 0x80);
    start = end + 2;
  }
  EXPECT_EQ(decode_quoted_printable(body), notification.body);
}

}  // namespace
}  // namespace privmilter
