#pragma once
// Policy test files for `privmilterctl test-policy`: cases that describe a
// message and its envelope and what the policy must decide about it.
//
//   tests:
//     - name: privileged memo to the client in clear text is held
//       from: jdoe@examplelaw.com
//       auth: jdoe
//       to: [gc@acme-widgets.example]
//       subject: Draft settlement
//       body: ATTORNEY-CLIENT PRIVILEGED ...      # or html: '<p>..</p>'
//       attachments: [{ name: memo.txt, type: text/plain, text: "..." }, { name: a.pdf, file: files/a.pdf }]
//       # (an attachment's type defaults to what its name's extension suggests)
//       # or, instead of subject/body/html/attachments:  message: messages/sample.eml
//       expect: { action: quarantine, rules: [...], not_rules: [...], monitor_rules: [...],
//                 removed: [...], recipients: { ADDRESS: ACTION }, subject: "..." }

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "policy_expectation.h"
#include "privmilter/result.h"
#include "test_message.h"

namespace privmilter::tools {

struct PolicyTestCase {
  std::string name;
  std::string where;  // "tests/basic.yaml:12:5", for reports
  std::string auth;   // SMTP AUTH login; empty when not authenticated
  MessageDraft draft;  // sender, recipients and, unless `message` is set, the content
  std::optional<std::string> message;  // a message file's bytes, sent as they are
  ExpectedOutcome expect;

  // The RFC 5322 message to inspect.
  std::string message_text() const { return message ? *message : compose_message(draft); }
};

// Reads and validates a whole test file; files it names are read relative
// to it. Errors name file:line:column.
Result<std::vector<PolicyTestCase>> load_policy_test_file(const std::filesystem::path& path);

}  // namespace privmilter::tools
