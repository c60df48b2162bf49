#pragma once
// Running as an unprivileged user when started as root (outside systemd,
// which starts the daemon as its user already). The daemon opens its milter
// socket first (it may need root for the path), hands the socket to the
// MTA's group, then switches user before it opens any key or store, so the
// files it creates belong to that user.

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "privmilter/config.h"
#include "privmilter/result.h"

namespace privmilter::milter {

struct RunAs {
  std::string user;
  uid_t uid = 0;
  gid_t gid = 0;  // `group`, or the user's primary group
};

// Looks up config.process.user (and group). nullopt: no switch, because
// no user is configured or the process is not root; a warning says which
// when that matters. An unknown user or group is an error.
Result<std::optional<RunAs>> resolve_run_as(const ProcessSettings& process);

// Lets the MTA connect to the unix socket at `path`: mode 0660, group of
// the socket's directory (as a setgid directory would give it), owner the
// user the daemon will run as.
Status share_socket_with_mta(const std::filesystem::path& path, const std::optional<RunAs>& run_as);

// Sets the supplementary groups, group and user, then checks that neither
// root's user nor group can be taken back.
Status switch_user(const RunAs& run_as);

}  // namespace privmilter::milter
