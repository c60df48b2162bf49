#include "content_runtime.h"

#include <gmime/gmime.h>
#include <libxml/parser.h>

#include <mutex>

namespace privmilter::content {

void ensure_libraries_initialized() {
  static std::once_flag once;
  // Never shut down: worker threads may still be parsing at process exit.
  std::call_once(once, [] {
    g_mime_init();
    xmlInitParser();
  });
}

}  // namespace privmilter::content
