#include "parse_defects.h"

#include <algorithm>
#include <utility>

namespace privmilter::content {

void DefectLog::note(std::string description) {
  if (overflowed_) return;
  if (std::find(entries_.begin(), entries_.end(), description) != entries_.end()) return;
  if (entries_.size() >= kMaxDefects) {
    entries_.emplace_back("too many defects; further ones not recorded");
    overflowed_ = true;
    return;
  }
  entries_.push_back(std::move(description));
}

std::string describe_parser_warning(GMimeParserWarning code) {
  switch (code) {
    case GMIME_WARN_DUPLICATED_HEADER:
      return "duplicated header";
    case GMIME_WARN_DUPLICATED_PARAMETER:
      return "duplicated header parameter";
    case GMIME_WARN_UNENCODED_8BIT_HEADER:
      return "unencoded 8-bit header";
    case GMIME_WARN_INVALID_CONTENT_TYPE:
      return "invalid content type";
    case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE:
      return "invalid RFC 2047 encoded header";
    case GMIME_WARN_MALFORMED_MULTIPART:
      return "malformed multipart (missing or misplaced boundary)";
    case GMIME_WARN_TRUNCATED_MESSAGE:
      return "truncated message (missing end boundary or content)";
    case GMIME_WARN_MALFORMED_MESSAGE:
      return "malformed message";
    case GMIME_CRIT_INVALID_HEADER_NAME:
      return "invalid header name";
    case GMIME_CRIT_CONFLICTING_HEADER:
      return "conflicting header";
    case GMIME_CRIT_CONFLICTING_PARAMETER:
      return "conflicting header parameter";
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
      return "multipart without boundary";
    case GMIME_WARN_INVALID_PARAMETER:
      return "invalid header parameter";
    case GMIME_WARN_INVALID_ADDRESS_LIST:
      return "invalid address list";
    case GMIME_CRIT_NESTING_OVERFLOW:
      return "MIME nesting overflow in parser";
    case GMIME_WARN_PART_WITHOUT_CONTENT:
      return "part without content";
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
      return "part without headers or content";
  }
  return "unknown parser warning " + std::to_string(static_cast<unsigned>(code));
}

namespace {

// Called from C: nothing may propagate out of it. `item` (a header name or
// value fragment) is message content and deliberately ignored.
void on_parser_warning(gint64 /*offset*/, GMimeParserWarning code, const gchar* /*item*/,
                       gpointer user_data) noexcept {
  try {
    static_cast<DefectLog*>(user_data)->note(describe_parser_warning(code));
  } catch (...) {
    // Losing a defect note is better than unwinding through GMime.
  }
}

}  // namespace

void report_parser_warnings_to(GMimeParserOptions* options, DefectLog& log) {
  g_mime_parser_options_set_warning_callback(options, &on_parser_warning, &log);
}

}  // namespace privmilter::content
