// extract_facts: parses the spooled message with GMime and hands the tree to
// the MIME walker.

#include <gmime/gmime.h>

#include <array>
#include <exception>
#include <string>
#include <utility>

#include "charset_decoder.h"
#include "content_runtime.h"
#include "extraction.h"
#include "gmime_handles.h"
#include "mime_walker.h"
#include "parse_defects.h"
#include "privmilter/content.h"
#include "spool_stream.h"
#include "structure_budget.h"

namespace privmilter {
namespace {

using content::adopt;
using content::DefectLog;

content::ParserOptionsPtr make_parser_options(DefectLog& defects) {
  content::ParserOptionsPtr options(g_mime_parser_options_new());
  // Raw 8-bit headers from careless mailers: UTF-8 first, then what Windows
  // clients most often mean.
  static constexpr std::array<const char*, 3> kFallbackCharsets = {"utf-8", "windows-1252",
                                                                   nullptr};
  g_mime_parser_options_set_fallback_charsets(options.get(),
                                              const_cast<const char**>(kFallbackCharsets.data()));
  content::report_parser_warnings_to(options.get(), defects);
  return options;
}

void note_header_defects(GMimeMessage* message, DefectLog& defects) {
  GMimeObject* body = g_mime_message_get_mime_part(message);
  const bool has_mime_version = g_mime_object_get_header(GMIME_OBJECT(message), "MIME-Version");
  if (body != nullptr && GMIME_IS_MULTIPART(body) && !has_mime_version) {
    defects.note("multipart message without MIME-Version header");
  }
}

// What GMime cannot read as a message is still inspected, so that garbage
// in front of the headers cannot hide the content.
Status add_raw_text(const MessageSpool& spool, MessageFacts& facts) {
  Result<std::string> raw = spool.read_all();
  if (!raw) return raw.error();
  std::string text = content::convert_to_utf8(*raw, "").text;
  if (!text.empty()) facts.segments.push_back({SegmentKind::body, "raw", std::move(text)});
  return {};
}

bool is_signature_type(std::string_view type) {
  return type == "application/pkcs7-signature" || type == "application/x-pkcs7-signature" ||
         type == "application/pgp-signature";
}

bool all_content_protected(const MessageFacts& facts) {
  if (facts.encrypted()) return true;
  for (const TextSegment& segment : facts.segments) {
    if (segment.kind == SegmentKind::subject) continue;
    if (segment.text.find_first_not_of(" \t\r\n") != std::string::npos) return false;
  }
  bool any_attachment = false;
  for (const PartFact& part : facts.parts) {
    if (!part.has(PartFlag::attachment) || part.path.find('/') != std::string::npos) continue;
    if (is_signature_type(part.content_type)) continue;
    if (!part.has(PartFlag::encrypted)) return false;
    any_attachment = true;
  }
  return any_attachment;
}

Result<MessageFacts> extract(const MessageSpool& spool, const ContentLimits& limits) {
  if (spool.size() > limits.max_message_bytes) {
    return make_error("message of " + std::to_string(spool.size()) +
                      " bytes exceeds the content size limit of " +
                      std::to_string(limits.max_message_bytes) + " bytes");
  }
  content::ensure_libraries_initialized();

  MessageFacts facts;
  facts.message_bytes = spool.size();

  // Declaration order is destruction order in reverse: the message goes
  // first, while the options and defect log its lazy header decoding may
  // still use are alive.
  DefectLog defects;
  content::ParserOptionsPtr options = make_parser_options(defects);
  auto opened = content::open_spool_stream(spool);
  if (!opened) return opened.error();
  content::GObjectPtr<GMimeStream> stream = std::move(opened.value());
  content::Extraction extraction(limits, facts, defects, options.get());
  const std::size_t bounded =
      content::structurally_bounded_length(stream.get(), content::structure_budget_for(limits));
  if (bounded < spool.size()) {
    extraction.note_limit("", "limit:mime_structure");
    defects.note("MIME structure limit reached; parsed only the first " + std::to_string(bounded) +
                 " bytes");
    stream = adopt(g_mime_stream_substream(stream.get(), 0, static_cast<gint64>(bounded)));
  }
  auto parser = adopt(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  auto message = adopt(g_mime_parser_construct_message(parser.get(), options.get()));

  if (!message) {
    if (spool.size() == 0) {
      defects.note("empty message");
    } else {
      defects.note("no parsable message; raw content inspected as text");
      if (auto status = add_raw_text(spool, facts); !status) return status.error();
    }
    facts.defects = defects.take();
    return facts;
  }

  const char* subject = g_mime_message_get_subject(message.get());
  if (subject != nullptr && *subject != '\0') {
    facts.subject = content::make_valid_utf8(subject);
    facts.segments.push_back({SegmentKind::subject, "subject", facts.subject});
  }
  note_header_defects(message.get(), defects);

  content::MimeWalker walker(limits, options.get(), defects, facts, extraction);
  walker.walk(message.get());
  if (g_mime_message_get_mime_part(message.get()) == nullptr) defects.note("message has no body");

  facts.all_content_protected = all_content_protected(facts);
  facts.defects = defects.take();
  return facts;
}

}  // namespace

Result<MessageFacts> extract_facts(const MessageSpool& spool, const ContentLimits& limits) {
  try {
    return extract(spool, limits);
  } catch (const std::exception& failure) {
    return make_error(std::string("content extraction failed: ") + failure.what());
  }
}

}  // namespace privmilter
