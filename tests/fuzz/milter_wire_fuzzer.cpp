// privmilter's own protocol engine fed raw bytes as an MTA (or anything
// else that reaches the milter socket) could send them: the packet reader
// and the conversation of milter/protocol_conversation.h, judging
// messages with the shipped policy. Input: one byte choosing how the
// stream is cut into reads, then the stream itself.
//
// Besides crashes, hangs and leaks, it checks what any MTA relies on: every
// reply is a well-formed packet of a kind the protocol has, negotiation
// grants no action the MTA did not offer, each end of message is answered
// by exactly one verdict, last, and reply codes are 4xx or 5xx on one line.

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz/fuzz_daemon.h"
#include "fuzz/fuzz_support.h"
#include "milter_wire.h"
#include "protocol_conversation.h"

namespace {

using privmilter::fuzzing::require;
using privmilter::milter::FieldReader;
using privmilter::milter::PacketReader;
using privmilter::milter::ProtocolConversation;

bool is_verdict(char command) {
  return command == SMFIR_CONTINUE || command == SMFIR_ACCEPT || command == SMFIR_REJECT ||
         command == SMFIR_TEMPFAIL || command == SMFIR_DISCARD || command == SMFIR_REPLYCODE;
}

bool is_edit(char command) {
  return command == SMFIR_ADDHEADER || command == SMFIR_CHGHEADER || command == SMFIR_REPLBODY ||
         command == SMFIR_DELRCPT;
}

// Every packet in `replies`; returns how many were verdicts and whether the
// last one was.
struct ReplySummary {
  std::size_t verdicts = 0;
  bool ends_with_verdict = false;
};

ReplySummary check_replies(const std::string& replies, std::uint32_t offered_actions) {
  ReplySummary summary;
  if (replies.empty()) return summary;
  PacketReader reader;
  std::memcpy(reader.prepare(replies.size()), replies.data(), replies.size());
  reader.commit(replies.size());
  std::size_t consumed = 0;
  while (auto packet = reader.next()) {
    consumed += 5 + packet->data.size();
    const char command = packet->command;
    require(is_verdict(command) || is_edit(command) || command == SMFIC_OPTNEG, "a reply of a kind the protocol has");
    if (command == SMFIC_OPTNEG) {
      FieldReader fields(packet->data);
      fields.uint32();
      const auto actions = fields.uint32();
      require(actions && (*actions & ~offered_actions) == 0, "negotiation grants only offered actions");
    }
    if (command == SMFIR_REPLYCODE) {
      const std::string_view text = packet->data;
      require(!text.empty() && (text.front() == '4' || text.front() == '5'), "a reply code is 4xx or 5xx");
      require(text.find_first_of("\r\n") == std::string_view::npos, "a reply stays on one line");
      require(text.back() == '\0', "a reply code ends in NUL");
    }
    if (is_verdict(command)) ++summary.verdicts;
    summary.ends_with_verdict = is_verdict(command);
  }
  require(!reader.error() && consumed == replies.size(), "replies are whole packets");
  return summary;
}

// The actions an option negotiation offers (all, when it is too short to say).
std::uint32_t offered_actions(std::string_view negotiation) {
  FieldReader fields(negotiation);
  fields.uint32();
  return fields.uint32().value_or(SMFI_CURR_ACTS);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  privmilter::fuzzing::silence_logging();
  privmilter::fuzzing::daemon_instance();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // 0-254: reads of 1 to 255 bytes; 255: the whole stream at once.
  const std::size_t read_size = data[0] == 0xFF ? size : std::size_t{data[0]} + 1;
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  std::uint32_t offered = SMFI_CURR_ACTS;

  ProtocolConversation conversation(*privmilter::fuzzing::daemon_instance().engine);
  PacketReader reader;
  std::string replies;
  bool closed = false;
  for (std::size_t offset = 0; offset < stream.size() && !closed; offset += read_size) {
    const std::size_t piece = std::min(read_size, stream.size() - offset);
    std::memcpy(reader.prepare(piece), stream.data() + offset, piece);
    reader.commit(piece);
    while (auto packet = reader.next()) {
      // Replies so far answer the offer in force when they were made.
      check_replies(replies, offered);
      replies.clear();
      if (packet->command == SMFIC_OPTNEG) offered = offered_actions(packet->data);
      const auto next = conversation.on_packet(*packet, replies);
      if (next == ProtocolConversation::Next::close) {
        closed = true;
        break;
      }
      if (next == ProtocolConversation::Next::judge_message) {
        check_replies(replies, offered);
        std::string answer;
        conversation.finish_message(answer);
        const ReplySummary summary = check_replies(answer, offered);
        require(summary.verdicts == 1 && summary.ends_with_verdict, "one verdict ends each message, last");
        replies.clear();
      }
    }
    if (reader.error()) break;
  }
  check_replies(replies, offered);
  return 0;
}
