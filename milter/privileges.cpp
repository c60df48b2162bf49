#include "privileges.h"

#include <grp.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "privmilter/file_io.h"

namespace privmilter::milter {

namespace {

struct Account {
  uid_t uid = 0;
  gid_t gid = 0;
};

// getpwnam_r/getgrnam_r want a caller-sized buffer; retry larger on ERANGE.
Result<std::optional<Account>> find_user(const std::string& name) {
  std::vector<char> buffer(16384);
  for (;;) {
    passwd entry{};
    passwd* found = nullptr;
    const int rc = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (rc != 0) return make_error("cannot look up user '" + name + "': " + errno_text(rc));
    if (found == nullptr) return std::optional<Account>();
    return std::optional<Account>(Account{.uid = entry.pw_uid, .gid = entry.pw_gid});
  }
}

Result<std::optional<gid_t>> find_group(const std::string& name) {
  std::vector<char> buffer(16384);
  for (;;) {
    group entry{};
    group* found = nullptr;
    const int rc = ::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (rc != 0) return make_error("cannot look up group '" + name + "': " + errno_text(rc));
    if (found == nullptr) return std::optional<gid_t>();
    return std::optional<gid_t>(entry.gr_gid);
  }
}

}  // namespace

Result<std::optional<RunAs>> resolve_run_as(const ProcessSettings& process) {
  const bool root = ::geteuid() == 0;
  if (!process.user) {
    if (root) {
      spdlog::warn("running as root: set 'user:' in the configuration so that the daemon switches to an "
                   "unprivileged user once its socket is open");
    }
    return std::optional<RunAs>();
  }
  auto user = find_user(*process.user);
  if (!user) return user.error();
  if (!*user) return make_error("user '" + *process.user + "' (configuration key 'user') does not exist");
  RunAs run_as{.user = *process.user, .uid = (*user)->uid, .gid = (*user)->gid};
  if (process.group) {
    auto group = find_group(*process.group);
    if (!group) return group.error();
    if (!*group) return make_error("group '" + *process.group + "' (configuration key 'group') does not exist");
    run_as.gid = **group;
  }
  if (!root) {
    if (::geteuid() != run_as.uid) {
      spdlog::warn("running as uid {}, not as user '{}': only a daemon started as root switches user",
                   ::geteuid(), run_as.user);
    }
    return std::optional<RunAs>();
  }
  if (run_as.uid == 0) return std::optional<RunAs>();
  return std::optional<RunAs>(run_as);
}

Status share_socket_with_mta(const std::filesystem::path& path, const std::optional<RunAs>& run_as) {
  struct stat directory {};
  struct stat socket_info {};
  if (::stat(path.parent_path().c_str(), &directory) != 0 || ::stat(path.c_str(), &socket_info) != 0) {
    return make_error("cannot inspect " + path.string() + ": " + errno_text(errno));
  }
  // The MTA reaches the socket through the directory's group (postfix for
  // /var/spool/postfix/privmilter, whose setgid bit already gives it).
  if (run_as || socket_info.st_gid != directory.st_gid) {
    const uid_t owner = run_as ? run_as->uid : static_cast<uid_t>(-1);
    if (::chown(path.c_str(), owner, directory.st_gid) != 0) {
      if (run_as) return make_error("cannot hand " + path.string() + " to its user: " + errno_text(errno));
      spdlog::warn("{} keeps group {}, not its directory's group {}: {}", path.string(), socket_info.st_gid,
                   directory.st_gid, errno_text(errno));
    }
  }
  if (::chmod(path.c_str(), 0660) != 0) {
    return make_error("cannot make " + path.string() + " mode 0660: " + errno_text(errno));
  }
  return Status::success();
}

Status switch_user(const RunAs& run_as) {
  if (::initgroups(run_as.user.c_str(), run_as.gid) != 0) {
    return make_error("cannot set the groups of user '" + run_as.user + "': " + errno_text(errno));
  }
  if (::setgid(run_as.gid) != 0) {
    return make_error("cannot switch to group " + std::to_string(run_as.gid) + ": " + errno_text(errno));
  }
  if (::setuid(run_as.uid) != 0) {
    return make_error("cannot switch to user '" + run_as.user + "': " + errno_text(errno));
  }
  uid_t real = 0, effective = 0, saved = 0;
  gid_t real_group = 0, effective_group = 0, saved_group = 0;
  if (::getresuid(&real, &effective, &saved) != 0 || ::getresgid(&real_group, &effective_group, &saved_group) != 0 ||
      real != run_as.uid || effective != run_as.uid || saved != run_as.uid || real_group != run_as.gid ||
      effective_group != run_as.gid || saved_group != run_as.gid) {
    return make_error("switching to user '" + run_as.user + "' left another user or group in place");
  }
  if (::setuid(0) == 0 || ::seteuid(0) == 0 || (run_as.gid != 0 && ::setgid(0) == 0)) {
    return make_error("after switching to user '" + run_as.user + "' the process could still become root");
  }
  return Status::success();
}

}  // namespace privmilter::milter
