#include "inspectors.h"

namespace privmilter::content {

// Not inspected yet: recorded as such so that policy can act on it.
void inspect_tnef(const EmbeddedFile& file, std::size_t part_index, Extraction& extraction) {
  extraction.mark_uninspectable(part_index, "unsupported:" + extraction.part(part_index).detected_type);
  (void)file;
}

}  // namespace privmilter::content
