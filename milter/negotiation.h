#pragma once
// What privmilter asks of the MTA when a connection opens, the same for
// both protocol engines: the actions it may take, the stages it skips or
// does not answer, and the macros it reads.

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include <array>
#include <utility>

namespace privmilter::milter {

// Only the modifications the enforcer can ask for; an MTA that is told a
// filter may change bodies or recipients has to be prepared for it.
inline constexpr unsigned long kFilterActions =
    SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_DELRCPT | SMFIF_SETSYMLIST;

// The macros this filter reads, requested explicitly so that Postfix and
// Sendmail send them whatever their defaults, and nothing more. RCPT gets
// the shortest list there is, since an empty one means the MTA's default.
inline constexpr std::array<std::pair<int, const char*>, 4> kMacros{{
    {SMFIM_CONNECT, "{daemon_name} {client_addr}"},
    {SMFIM_ENVFROM, "i {auth_authen}"},
    {SMFIM_ENVRCPT, "i"},
    {SMFIM_EOM, "i"},
}};

// Stages not sent at all: HELO and unknown commands say nothing about the
// message, and whether it leaves the firm is known by its first header.
inline constexpr unsigned long kSkippedStages = SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NODATA;
// Stages the MTA does not wait on: the only answer is at end of message,
// so a message costs one round trip instead of one per stage. To an MTA
// that cannot do without a reply, "continue" is sent instead.
inline constexpr unsigned long kUnansweredStages =
    SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_DATA | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY;

}  // namespace privmilter::milter
