// Bytes as a policy folder and firm directory through the loader and
// compiler, as the daemon reads them at start and on reload
// (load_policy_bundle): YAML and CSV parsing, rule and detector
// compilation into one Vectorscan database, cross-checks against the
// directory. A policy that loads is then evaluated on a few fixed
// messages. Refusing an input is fine; crashing, hanging or leaking is not.
//
// Input: the first file is the policy; a line "#> <name>" (a YAML comment)
// starts the next file. users.csv, groups.yaml, clients.csv, matters.csv,
// walls.yaml and webmail.txt go to the directory folder; any other name
// to the policy folder (more policy files, phrase files).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "privmilter/policy_bundle.h"
#include "unit/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using privmilter::fuzzing::require;

constexpr std::string_view kFileMarker = "#> ";
constexpr std::size_t kMaxFiles = 16;
constexpr std::array<std::string_view, 6> kDirectoryFiles = {"users.csv",   "groups.yaml", "clients.csv",
                                                             "matters.csv", "walls.yaml",  "webmail.txt"};

struct Folders {
  privmilter::testing::TempDir root;
  fs::path policy = root / "policy";
  fs::path directory = root / "directory";
};

const Folders& folders() {
  static const Folders instance;
  return instance;
}

// A name the input may give a file: no path, nothing hidden.
bool acceptable_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_directory_file(std::string_view name) {
  for (std::string_view known : kDirectoryFiles) {
    if (name == known) return true;
  }
  return false;
}

// Replaces the folders' contents with the files the input describes.
void write_files(std::string_view input) {
  const Folders& where = folders();
  fs::remove_all(where.policy);
  fs::remove_all(where.directory);
  fs::create_directories(where.policy);
  fs::create_directories(where.directory);

  std::string name = "policy.yaml";
  std::size_t files = 0;
  auto write = [&](std::string_view content) {
    if (!acceptable_name(name) || files >= kMaxFiles) return;
    ++files;
    const fs::path folder = is_directory_file(name) ? where.directory : where.policy;
    privmilter::testing::write_file(folder / name, std::string(content));
  };
  std::size_t start = 0;
  for (std::size_t line = 0; line <= input.size();) {
    const std::size_t end = std::min(input.find('\n', line), input.size());
    const std::string_view text = input.substr(line, end - line);
    if (text.starts_with(kFileMarker)) {
      write(input.substr(start, line - start));
      name = std::string(text.substr(kFileMarker.size()));
      start = std::min(end + 1, input.size());
    }
    line = end + 1;
  }
  write(input.substr(start));
}

privmilter::MessageFacts facts_with(std::vector<privmilter::TextSegment> segments) {
  privmilter::MessageFacts facts;
  facts.subject = segments.front().text;
  facts.segments = std::move(segments);
  facts.message_bytes = 4096;
  facts.part_count = 2;
  return facts;
}

// Something for most detector kinds to find: markings, matter numbers, an
// SSN and a card number near their keywords, a document with comments.
std::vector<privmilter::MessageFacts> sample_messages() {
  using privmilter::SegmentKind;
  std::vector<privmilter::MessageFacts> messages;
  messages.push_back(facts_with({
      {SegmentKind::subject, "subject", "[secure] Privileged & Confidential: matter 10042-0007"},
      {SegmentKind::body, "1 text/plain",
       "ATTORNEY-CLIENT PRIVILEGED\nSSN 123-45-6789, card 4111 1111 1111 1111, IBAN DE89370400440532013000.\n"
       "Attorneys' Eyes Only. Subject to protective order 10042.0007."},
      {SegmentKind::attachment, "2/attachment[memo.docx]", "prepared at the request of counsel"},
      {SegmentKind::metadata, "2/attachment[memo.docx]/comments", "delete before sending"},
  }));
  privmilter::PartFact attachment{.path = "2",
                                  .filename = "memo.docx",
                                  .content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                  .detected_type = "application/zip",
                                  .size = 2048,
                                  .flags = 0,
                                  .uninspectable_reason = {},
                                  .properties = {{"author", "A. Lawyer"}, {"company", "Example Law LLP"}}};
  attachment.set(privmilter::PartFlag::attachment);
  attachment.set(privmilter::PartFlag::comments);
  messages.back().parts.push_back(attachment);
  messages.push_back(facts_with({{SegmentKind::subject, "subject", "lunch"},
                                 {SegmentKind::body, "1 text/html", "see you at noon \xE2\x80\x94 \xC3\xA9t\xC3\xA9"}}));
  messages.back().encryption = privmilter::EncryptionState::smime_enveloped;
  messages.back().all_content_protected = true;
  return messages;
}

std::vector<privmilter::Envelope> sample_envelopes() {
  privmilter::Envelope outgoing{.queue_id = "4XyZ1",
                                .sender = "alice@examplelaw.com",
                                .recipients = {"bob@client.example", "someone@gmail.com", "carol@examp1elaw.com",
                                               "dave@examplelaw.com"},
                                .auth_authen = "alice",
                                .client_addr = "10.1.2.3",
                                .client_name = "ws1.examplelaw.com",
                                .daemon_name = "smtpd"};
  privmilter::Envelope internal = outgoing;
  internal.recipients = {"dave@examplelaw.com"};
  internal.auth_authen.clear();
  return {outgoing, internal};
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  privmilter::fuzzing::silence_logging();
  folders();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  write_files(std::string_view(reinterpret_cast<const char*>(data), size));
  privmilter::Config config;
  config.internal_domains = {"examplelaw.com"};
  config.internal_networks = {*privmilter::parse_network("10.0.0.0/8")};
  config.policy_path = folders().policy;
  config.directory_path = folders().directory;
  auto bundle = privmilter::load_policy_bundle(config);
  if (!bundle) {
    require(!bundle.error().message.empty(), "a refused policy says why");
    return 0;
  }
  static const auto messages = sample_messages();
  static const auto envelopes = sample_envelopes();
  for (const auto& facts : messages) {
    for (const auto& envelope : envelopes) {
      const privmilter::Verdict verdict = privmilter::evaluate(*bundle->policy, facts, envelope, bundle->directory);
      require(verdict.action != privmilter::Action::remove_recipients, "remove_recipients is never the verdict");
      require(verdict.recipients.size() == envelope.recipients.size(), "a verdict per envelope recipient");
    }
  }
  return 0;
}
