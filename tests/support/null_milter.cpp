// privmilter-null-milter: a libmilter milter that does nothing unless told
// to. It is the baseline for benchmarks (the cost of libmilter and the
// protocol alone) and a real libmilter peer for testing the milter client.
// Every behaviour is a command-line option; see --help.

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

enum class Stage { connect, helo, mail, rcpt, data, header, eoh, body, eom };

const std::map<std::string, Stage> kStageNames = {
    {"connect", Stage::connect}, {"helo", Stage::helo}, {"mail", Stage::mail},
    {"rcpt", Stage::rcpt},       {"data", Stage::data}, {"header", Stage::header},
    {"eoh", Stage::eoh},         {"body", Stage::body}, {"eom", Stage::eom},
};

const std::map<std::string, sfsistat> kReplyNames = {
    {"continue", SMFIS_CONTINUE}, {"accept", SMFIS_ACCEPT},   {"reject", SMFIS_REJECT},
    {"tempfail", SMFIS_TEMPFAIL}, {"discard", SMFIS_DISCARD}, {"skip", SMFIS_SKIP},
};

const std::map<std::string, int> kMacroStageNames = {
    {"connect", SMFIM_CONNECT}, {"helo", SMFIM_HELO}, {"mail", SMFIM_ENVFROM}, {"rcpt", SMFIM_ENVRCPT},
    {"data", SMFIM_DATA},       {"eom", SMFIM_EOM},   {"eoh", SMFIM_EOH},
};

unsigned long no_send_flag(Stage stage) {
  switch (stage) {
    case Stage::connect: return SMFIP_NOCONNECT;
    case Stage::helo: return SMFIP_NOHELO;
    case Stage::mail: return SMFIP_NOMAIL;
    case Stage::rcpt: return SMFIP_NORCPT;
    case Stage::data: return SMFIP_NODATA;
    case Stage::header: return SMFIP_NOHDRS;
    case Stage::eoh: return SMFIP_NOEOH;
    case Stage::body: return SMFIP_NOBODY;
    case Stage::eom: return 0;
  }
  return 0;
}

unsigned long no_reply_flag(Stage stage) {
  switch (stage) {
    case Stage::connect: return SMFIP_NR_CONN;
    case Stage::helo: return SMFIP_NR_HELO;
    case Stage::mail: return SMFIP_NR_MAIL;
    case Stage::rcpt: return SMFIP_NR_RCPT;
    case Stage::data: return SMFIP_NR_DATA;
    case Stage::header: return SMFIP_NR_HDR;
    case Stage::eoh: return SMFIP_NR_EOH;
    case Stage::body: return SMFIP_NR_BODY;
    case Stage::eom: return 0;
  }
  return 0;
}

struct SmtpReplyText {
  std::string code;
  std::string xcode;
  std::string text;
};

struct Options {
  std::string socket;
  int timeout_seconds = 7210;
  int backlog = 128;
  std::vector<std::pair<std::string, std::string>> add_headers;
  std::optional<Stage> reply_at;
  sfsistat reply = SMFIS_CONTINUE;
  std::optional<SmtpReplyText> reply_message;
  std::set<Stage> no_reply_at;
  std::set<Stage> no_send;
  std::optional<Stage> delay_at;
  std::chrono::milliseconds delay{0};
  std::optional<std::string> quarantine_reason;
  std::optional<std::string> replacement_body;
  int progress_packets = 0;
  bool report = false;
  std::map<int, std::string> requested_macros;
};

// Written by main() before smfi_main() starts any thread; read-only after.
Options g_options;

struct MessageCounters {
  std::size_t recipients = 0;
  std::size_t headers = 0;
  std::size_t body_bytes = 0;
  std::size_t body_chunks = 0;
};

struct ConnectionState {
  MessageCounters message;
};

ConnectionState& state_of(SMFICTX* ctx) {
  auto* state = static_cast<ConnectionState*>(smfi_getpriv(ctx));
  if (state == nullptr) {
    state = std::make_unique<ConnectionState>().release();
    smfi_setpriv(ctx, state);
  }
  return *state;
}

// The reply for `stage`: the configured verdict, a no-reply, or continue.
sfsistat finish(SMFICTX* ctx, Stage stage) {
  if (g_options.delay_at == stage) std::this_thread::sleep_for(g_options.delay);
  if (g_options.reply_at == stage) {
    if (g_options.reply_message) {
      auto& message = *g_options.reply_message;
      smfi_setreply(ctx, message.code.data(), message.xcode.empty() ? nullptr : message.xcode.data(),
                    message.text.empty() ? nullptr : message.text.data());
    }
    return g_options.reply;
  }
  return g_options.no_reply_at.contains(stage) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

sfsistat on_negotiate(SMFICTX* ctx, unsigned long offered_actions, unsigned long offered_protocol,
                      unsigned long, unsigned long, unsigned long* actions, unsigned long* protocol,
                      unsigned long* reserved2, unsigned long* reserved3) {
  state_of(ctx);
  unsigned long wanted = 0;
  for (const Stage stage : g_options.no_send) wanted |= no_send_flag(stage);
  // libmilter fakes no-reply for an MTA that lacks it, so these are always offered.
  for (const Stage stage : g_options.no_reply_at) wanted |= no_reply_flag(stage);
  *actions = offered_actions & SMFI_CURR_ACTS;
  *protocol = (wanted & offered_protocol) | (offered_protocol & SMFIP_SKIP);
  *reserved2 = 0;
  *reserved3 = 0;
  for (auto& [stage, names] : g_options.requested_macros) smfi_setsymlist(ctx, stage, names.data());
  return SMFIS_CONTINUE;
}

sfsistat on_connect(SMFICTX* ctx, char*, _SOCK_ADDR*) {
  state_of(ctx);
  return finish(ctx, Stage::connect);
}

sfsistat on_helo(SMFICTX* ctx, char*) { return finish(ctx, Stage::helo); }

sfsistat on_envfrom(SMFICTX* ctx, char**) {
  state_of(ctx).message = {};
  return finish(ctx, Stage::mail);
}

sfsistat on_envrcpt(SMFICTX* ctx, char**) {
  ++state_of(ctx).message.recipients;
  return finish(ctx, Stage::rcpt);
}

sfsistat on_data(SMFICTX* ctx) { return finish(ctx, Stage::data); }

sfsistat on_header(SMFICTX* ctx, char*, char*) {
  ++state_of(ctx).message.headers;
  return finish(ctx, Stage::header);
}

sfsistat on_eoh(SMFICTX* ctx) { return finish(ctx, Stage::eoh); }

sfsistat on_body(SMFICTX* ctx, unsigned char*, size_t length) {
  auto& message = state_of(ctx).message;
  ++message.body_chunks;
  message.body_bytes += length;
  return finish(ctx, Stage::body);
}

std::string macro_or_empty(SMFICTX* ctx, const char* name) {
  const char* value = smfi_getsymval(ctx, const_cast<char*>(name));
  return value == nullptr ? "" : value;
}

sfsistat on_eom(SMFICTX* ctx) {
  for (int i = 0; i < g_options.progress_packets; ++i) smfi_progress(ctx);
  for (auto& [name, value] : g_options.add_headers) smfi_addheader(ctx, name.data(), value.data());
  if (g_options.report) {
    const auto& message = state_of(ctx).message;
    std::string report = "recipients=" + std::to_string(message.recipients) +
                         " headers=" + std::to_string(message.headers) +
                         " body_bytes=" + std::to_string(message.body_bytes) +
                         " body_chunks=" + std::to_string(message.body_chunks) +
                         " queue_id=" + macro_or_empty(ctx, "i") +
                         " auth=" + macro_or_empty(ctx, "{auth_authen}");
    smfi_addheader(ctx, const_cast<char*>("X-Null-Milter-Report"), report.data());
  }
  if (g_options.quarantine_reason) smfi_quarantine(ctx, g_options.quarantine_reason->data());
  if (g_options.replacement_body) {
    auto& body = *g_options.replacement_body;
    smfi_replacebody(ctx, reinterpret_cast<unsigned char*>(body.data()), static_cast<int>(body.size()));
  }
  return finish(ctx, Stage::eom);
}

sfsistat on_abort(SMFICTX* ctx) {
  state_of(ctx).message = {};
  return SMFIS_CONTINUE;
}

sfsistat on_close(SMFICTX* ctx) {
  // Runs once per connection, possibly before negotiation: the state may be absent.
  std::unique_ptr<ConnectionState> state(static_cast<ConnectionState*>(smfi_getpriv(ctx)));
  smfi_setpriv(ctx, nullptr);
  return SMFIS_CONTINUE;
}

sfsistat on_unknown(SMFICTX*, const char*) { return SMFIS_CONTINUE; }

std::optional<SmtpReplyText> parse_reply_message(const std::string& text) {
  std::istringstream words(text);
  SmtpReplyText reply;
  words >> reply.code;
  if (reply.code.size() != 3 || (reply.code[0] != '4' && reply.code[0] != '5')) return std::nullopt;
  std::string rest;
  std::getline(words >> std::ws, rest);
  const auto space = rest.find(' ');
  const std::string first = rest.substr(0, space);
  if (!first.empty() && first[0] == reply.code[0] && first.find('.') != std::string::npos) {
    reply.xcode = first;
    rest = space == std::string::npos ? "" : rest.substr(space + 1);
  }
  reply.text = rest;
  return reply;
}

std::optional<std::pair<std::string, std::string>> split_at_colon(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  return std::make_pair(text.substr(0, colon), text.substr(colon + 1));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"privmilter-null-milter: a libmilter milter that only does what its options say"};
  std::vector<std::string> add_headers;
  std::string reply_at;
  std::string reply = "continue";
  std::string reply_message;
  std::vector<std::string> no_reply_at;
  std::vector<std::string> no_send;
  std::string delay_at;
  int delay_ms = 0;
  std::string quarantine;
  std::string replace_body;
  std::vector<std::string> request_macros;
  bool replace_body_given = false;

  const auto stages = CLI::IsMember(kStageNames);
  app.add_option("-p,--socket", g_options.socket, "listen address: unix:/path or inet:PORT@HOST")->required();
  app.add_option("--timeout", g_options.timeout_seconds, "libmilter I/O timeout in seconds");
  app.add_option("--backlog", g_options.backlog, "listen backlog");
  app.add_option("--add-header", add_headers, "NAME:VALUE header to add at end of message (repeatable)");
  app.add_option("--reply-at", reply_at, "stage that answers with --reply")->check(stages);
  app.add_option("--reply", reply, "verdict at --reply-at")->check(CLI::IsMember(kReplyNames));
  app.add_option("--reply-message", reply_message, "SMTP reply for reject/tempfail, e.g. \"550 5.7.1 text\"");
  app.add_option("--no-reply-at", no_reply_at, "negotiate SMFIP_NR_* for this stage (repeatable)")->check(stages);
  app.add_option("--no-send", no_send, "negotiate SMFIP_NO* for this stage (repeatable)")->check(stages);
  app.add_option("--delay-at", delay_at, "stage whose reply waits --delay-ms")->check(stages);
  app.add_option("--delay-ms", delay_ms, "delay in milliseconds");
  app.add_option("--quarantine", quarantine, "quarantine reason sent at end of message");
  app.add_option("--replace-body", replace_body, "replacement body sent at end of message");
  app.add_option("--progress", g_options.progress_packets, "progress packets sent at end of message");
  app.add_flag("--report", g_options.report,
               "add X-Null-Milter-Report with the counts the milter saw and the i and {auth_authen} macros");
  app.add_option("--request-macros", request_macros, "STAGE:\"names\" macro list to request (repeatable)");
  CLI11_PARSE(app, argc, argv);
  replace_body_given = app.count("--replace-body") > 0;

  for (const auto& header : add_headers) {
    auto parts = split_at_colon(header);
    if (!parts) {
      std::fprintf(stderr, "--add-header wants NAME:VALUE, got '%s'\n", header.c_str());
      return 2;
    }
    g_options.add_headers.push_back(*parts);
  }
  if (!reply_at.empty()) {
    g_options.reply_at = kStageNames.at(reply_at);
    g_options.reply = kReplyNames.at(reply);
  }
  if (!reply_message.empty()) {
    g_options.reply_message = parse_reply_message(reply_message);
    if (!g_options.reply_message) {
      std::fprintf(stderr, "--reply-message must start with a 4xx or 5xx code\n");
      return 2;
    }
  }
  for (const auto& stage : no_reply_at) g_options.no_reply_at.insert(kStageNames.at(stage));
  for (const auto& stage : no_send) g_options.no_send.insert(kStageNames.at(stage));
  if (!delay_at.empty()) {
    g_options.delay_at = kStageNames.at(delay_at);
    g_options.delay = std::chrono::milliseconds(delay_ms);
  }
  if (!quarantine.empty()) g_options.quarantine_reason = quarantine;
  if (replace_body_given) g_options.replacement_body = replace_body;
  for (const auto& request : request_macros) {
    auto parts = split_at_colon(request);
    if (!parts || !kMacroStageNames.contains(parts->first)) {
      std::fprintf(stderr, "--request-macros wants STAGE:names, got '%s'\n", request.c_str());
      return 2;
    }
    g_options.requested_macros[kMacroStageNames.at(parts->first)] = parts->second;
  }

  smfiDesc description{};
  description.xxfi_name = const_cast<char*>("privmilter-null-milter");
  description.xxfi_version = SMFI_VERSION;
  description.xxfi_flags = SMFI_CURR_ACTS;
  description.xxfi_connect = on_connect;
  description.xxfi_helo = on_helo;
  description.xxfi_envfrom = on_envfrom;
  description.xxfi_envrcpt = on_envrcpt;
  description.xxfi_header = on_header;
  description.xxfi_eoh = on_eoh;
  description.xxfi_body = on_body;
  description.xxfi_eom = on_eom;
  description.xxfi_abort = on_abort;
  description.xxfi_close = on_close;
  description.xxfi_unknown = on_unknown;
  description.xxfi_data = on_data;
  description.xxfi_negotiate = on_negotiate;

  if (smfi_setconn(g_options.socket.data()) != MI_SUCCESS || smfi_settimeout(g_options.timeout_seconds) != MI_SUCCESS ||
      smfi_setbacklog(g_options.backlog) != MI_SUCCESS || smfi_register(description) != MI_SUCCESS) {
    std::fprintf(stderr, "privmilter-null-milter: libmilter setup failed\n");
    return 1;
  }
  if (smfi_opensocket(true) != MI_SUCCESS) {
    std::fprintf(stderr, "privmilter-null-milter: cannot listen on %s\n", g_options.socket.c_str());
    return 1;
  }
  return smfi_main() == MI_SUCCESS ? 0 : 1;
}
