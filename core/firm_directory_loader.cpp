// load_firm_directory(): reads the files, then hands their text to the
// readers in the order their references need.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "directory_load_state.h"
#include "privmilter/file_io.h"
#include "privmilter/firm_directory.h"
#include "privmilter/strings.h"
#include "privmilter/unique_fd.h"

namespace privmilter {
namespace {

// The file's bytes; none when it does not exist.
Result<std::optional<std::string>> read_optional_file(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::optional<std::string>();
    return make_error(path.string() + ": cannot open: " + errno_text(errno));
  }
  std::string content;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(path.string() + ": cannot read: " + errno_text(errno));
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  return std::optional<std::string>(std::move(content));
}

}  // namespace

Result<std::shared_ptr<const FirmDirectory>> parse_firm_directory(const FirmDirectorySources& sources,
                                                                  std::vector<std::string> internal_domains) {
  using namespace directory_files;
  for (std::string& domain : internal_domains) domain = ascii_lower(trim(domain));
  LoadState state;
  state.directory = sources.directory;
  state.internal_domains = internal_domains;
  // The readers stop at the first problem by throwing; it ends here.
  try {
    if (sources.webmail_txt) read_webmail(*sources.webmail_txt, state);
    if (sources.users_csv) read_users(*sources.users_csv, state);
    if (sources.groups_yaml) read_groups(*sources.groups_yaml, state);
    if (sources.clients_csv) read_clients(*sources.clients_csv, state);
    if (sources.matters_csv) read_matters(*sources.matters_csv, state);
    if (sources.walls_yaml) read_walls(*sources.walls_yaml, state);
  } catch (const LoadError& error) {
    return make_error(error.what());
  }
  return std::shared_ptr<const FirmDirectory>(
      std::make_shared<FirmDirectory>(std::move(state.tables), std::move(internal_domains)));
}

Result<std::shared_ptr<const FirmDirectory>> load_firm_directory(const std::filesystem::path& directory,
                                                                 std::vector<std::string> internal_domains) {
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error)) {
    return make_error(directory.string() + ": " + (error ? error.message() : "not a directory"));
  }
  FirmDirectorySources sources;
  sources.directory = directory;
  const std::pair<const char*, std::optional<std::string>*> files[] = {
      {"users.csv", &sources.users_csv},     {"groups.yaml", &sources.groups_yaml},
      {"clients.csv", &sources.clients_csv}, {"matters.csv", &sources.matters_csv},
      {"walls.yaml", &sources.walls_yaml},   {"webmail.txt", &sources.webmail_txt}};
  for (const auto& [name, content] : files) {
    Result<std::optional<std::string>> read = read_optional_file(directory / name);
    if (!read) return read.error();
    *content = std::move(read).value();
  }
  return parse_firm_directory(sources, std::move(internal_domains));
}

}  // namespace privmilter
