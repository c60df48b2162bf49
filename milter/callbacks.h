#pragma once
// The libmilter callback table. The only place besides daemon.cpp that
// knows libmilter.

#include <libmilter/mfapi.h>

#include "engine.h"

namespace privmilter::milter {

// The engine every callback uses. Set once before smfi_main and kept alive
// until it returns: libmilter callbacks carry no user pointer of their own.
void set_engine(const Engine* engine);

smfiDesc make_filter_description();

}  // namespace privmilter::milter
