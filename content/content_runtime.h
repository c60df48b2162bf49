#pragma once
// Process-wide initialisation of the C libraries content extraction uses.

namespace privmilter::content {

// Initialises GMime and libxml2 exactly once per process. Both libraries are
// safe for concurrent use on distinct objects only after this has run, so
// every entry point calls it before touching them.
void ensure_libraries_initialized();

}  // namespace privmilter::content
