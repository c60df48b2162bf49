#include "logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <syslog.h>

#include <cstdlib>

namespace privmilter::milter {

void configure_logging(const std::string& level, bool foreground) {
  // Called again after detaching; spdlog refuses a second logger of the same name.
  spdlog::drop("privmilter");
  std::shared_ptr<spdlog::logger> logger;
  if (foreground) {
    logger = spdlog::stderr_logger_mt("privmilter");
    const bool under_journald = std::getenv("JOURNAL_STREAM") != nullptr;
    logger->set_pattern(under_journald ? "[%l] %v" : "%Y-%m-%d %H:%M:%S.%e privmilter[%P] [%l] %v");
  } else {
    logger = spdlog::syslog_logger_mt("privmilter", "privmilter", LOG_PID, LOG_MAIL);
    logger->set_pattern("[%l] %v");
  }
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  set_log_level(level);
}

void set_log_level(const std::string& level) {
  spdlog::default_logger()->set_level(spdlog::level::from_str(level == "warning" ? "warn" : level));
}

}  // namespace privmilter::milter
