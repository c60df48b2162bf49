#include "spool_stream.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace privmilter::content {
namespace {

GObjectPtr<GMimeStream> memory_stream(const char* data, std::size_t size) {
  return adopt(g_mime_stream_mem_new_with_buffer(data, size));
}

}  // namespace

Result<GObjectPtr<GMimeStream>> open_spool_stream(const MessageSpool& spool) {
  if (spool.in_memory()) {
    const std::string_view bytes = spool.memory();
    return memory_stream(bytes.data(), bytes.size());
  }
  if (spool.size() == 0) return memory_stream("", 0);

  const int duplicate = fcntl(spool.fd(), F_DUPFD_CLOEXEC, 0);
  if (duplicate < 0) {
    return make_error(std::string("cannot duplicate spool descriptor: ") + std::strerror(errno));
  }
  // With an explicit end the stream does not consult the shared file offset;
  // it owns `duplicate` and unmaps and closes it when released.
  GMimeStream* mapped = g_mime_stream_mmap_new_with_bounds(duplicate, PROT_READ, MAP_PRIVATE, 0,
                                                           static_cast<gint64>(spool.size()));
  if (mapped == nullptr) {
    const int saved_errno = errno;
    close(duplicate);
    return make_error(std::string("cannot map spool file: ") + std::strerror(saved_errno));
  }
  return adopt(mapped);
}

}  // namespace privmilter::content
