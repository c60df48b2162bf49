// Attached .eml files and messages found in archives are parsed and walked
// like the message itself, so their text and attachments are inspected too.

#include <gmime/gmime.h>

#include "gmime_handles.h"
#include "inspectors.h"
#include "mime_walker.h"
#include "structure_budget.h"

namespace privmilter::content {

void inspect_message(const EmbeddedFile& file, std::size_t part_index, Extraction& extraction) {
  auto stream = adopt(g_mime_stream_mem_new_with_buffer(file.bytes.data(), file.bytes.size()));
  const std::size_t bounded =
      structurally_bounded_length(stream.get(), structure_budget_for(extraction.limits()));
  if (bounded < file.bytes.size()) {
    extraction.mark_uninspectable(part_index, "limit:mime_structure");
    stream = adopt(g_mime_stream_substream(stream.get(), 0, static_cast<gint64>(bounded)));
  }
  auto parser = adopt(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  auto message = adopt(g_mime_parser_construct_message(parser.get(), extraction.parser_options()));
  if (!message) {
    extraction.mark_uninspectable(part_index, "malformed");
    return;
  }
  MimeWalker walker(extraction.limits(), extraction.parser_options(), extraction.defects(), extraction.facts(),
                    extraction);
  walker.walk_nested(message.get(), {.path_prefix = file.path + "/", .depth = file.depth + 1, .owner_part = part_index});
}

}  // namespace privmilter::content
