#pragma once
// The milter_session_fuzzer's input: a conversation between an MTA and the
// filter, one stage per line, so that seeds are easy to write and a
// reproducer reads like a transcript (docs/FUZZING.md):
//
//   connect <host name> <address> [<daemon name>]
//   mail <sender> [<auth login>] [<queue id>]
//   rcpt <recipient>
//   data
//   header <name>: <value>
//   eoh
//   body <text>
//   eom [<queue id>]
//   abort
//   close                       the MTA drops the connection
//   release [encrypt|stale|expired]
//                               an X-Privmilter-Release header carrying a
//                               token issued for this message
//   message                     the rest of the input is a raw message: its
//                               header fields, end of headers, body, eom
//
// Arguments take \r \n \t \\ \0 and \xHH escapes. Unknown lines are skipped.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace privmilter::fuzzing {

enum class Stage { connect, mail, rcpt, data, header, eoh, body, eom, abort, close, release };

struct ScriptStep {
  Stage stage = Stage::eom;
  std::vector<std::string> arguments;  // header: {name, value}; body: {text}
};

// A conversation is bounded so that one input stays cheap.
inline constexpr std::size_t kMaxScriptSteps = 256;
// The MTA sends a body in pieces of at most this size.
inline constexpr std::size_t kBodyChunkBytes = 65535;

std::vector<ScriptStep> parse_script(std::string_view input);

}  // namespace privmilter::fuzzing
