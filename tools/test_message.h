#pragma once
// Composes the RFC 5322 message a policy test case describes: a text and/or
// HTML body and attachments, encoded the way mail clients send them, so the
// policy sees it through the real MIME parser.

#include <optional>
#include <string>
#include <vector>

namespace privmilter::tools {

struct TestAttachment {
  std::string name;     // file name, UTF-8
  std::string type;     // MIME type/subtype
  std::string content;  // the file's bytes
};

struct MessageDraft {
  std::string from;
  std::vector<std::string> to;
  std::optional<std::string> subject;  // UTF-8
  std::optional<std::string> text;     // text/plain body, UTF-8
  std::optional<std::string> html;     // text/html body, UTF-8
  std::vector<TestAttachment> attachments;
};

// CRLF line endings; text in quoted-printable (7bit when plain ASCII),
// attachments in base64, non-ASCII subject and file names per RFC 2047/2231.
std::string compose_message(const MessageDraft& draft);

}  // namespace privmilter::tools
