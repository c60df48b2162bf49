#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "outbox.h"
#include "privmilter/notify.h"
#include "privmilter/smtp_client.h"

namespace privmilter {

namespace {

using Clock = std::chrono::steady_clock;

struct Pending {
  OutboxEntry entry;
  Clock::time_point due;
};

bool is_temporary(const Error& error) { return error.message.starts_with("temporary: "); }

std::chrono::milliseconds backoff(const NotifierTiming& timing, unsigned failures) {
  auto delay = timing.first_retry;
  for (unsigned i = 1; i < failures && delay < timing.max_retry; ++i) delay *= 2;
  return std::min(delay, timing.max_retry);
}

}  // namespace

struct Notifier::State {
  State(NotifySettings settings_in, SmtpTarget target_in, NotifierTiming timing_in)
      : settings(std::move(settings_in)),
        target(std::move(target_in)),
        timing(timing_in),
        outbox(settings.outbox) {}

  void run();
  // What became of one attempt; returns the entry when it is to be retried.
  std::optional<Pending> settle(OutboxEntry entry, const Result<std::string>& sent);

  const NotifySettings settings;
  const SmtpTarget target;
  const NotifierTiming timing;
  Outbox outbox;

  std::mutex mutex;
  std::condition_variable wake;  // new work, or stop
  std::condition_variable idle;  // the queue ran empty
  std::vector<Pending> queue;    // guarded by mutex
  bool started = false;          // guarded by mutex
  bool stopping = false;         // guarded by mutex
  bool sending = false;          // guarded by mutex: an entry is out of the queue
  unsigned long arrivals = 0;    // guarded by mutex: counts enqueues, to wake a waiting retry
  std::thread thread;
};

Notifier::Notifier(NotifySettings settings, SmtpTarget target, NotifierTiming timing)
    : state_(std::make_unique<State>(std::move(settings), std::move(target), timing)) {}

Notifier::~Notifier() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  if (state_->thread.joinable()) state_->thread.join();
}

Status Notifier::start() {
  std::lock_guard lock(state_->mutex);
  if (state_->started) return {};
  if (auto opened = state_->outbox.open(); !opened) return opened;
  std::vector<std::string> unreadable;
  const auto now = Clock::now();
  for (auto& entry : state_->outbox.load(unreadable)) state_->queue.push_back({std::move(entry), now});
  for (const auto& problem : unreadable) spdlog::error("notification outbox: {}; moved to failed/", problem);
  if (!state_->queue.empty()) spdlog::info("notification outbox: resending {} notification(s)", state_->queue.size());
  state_->started = true;
  state_->thread = std::thread([state = state_.get()] { state->run(); });
  return {};
}

Status Notifier::enqueue(const Notification& notification) {
  if (notification.to.empty()) return {};
  const std::string& from = notification.from_address.empty() ? state_->settings.from : notification.from_address;
  const std::string message = render_notification(notification, from, std::chrono::system_clock::now());
  // Held across the write so that start() cannot load the new file and
  // enqueue queue it a second time.
  std::lock_guard lock(state_->mutex);
  auto added = state_->outbox.add(notification.reference, notification.to, message);
  if (!added) return added.error();
  if (state_->started) {
    state_->queue.push_back({std::move(*added), Clock::now()});
    ++state_->arrivals;
    state_->wake.notify_one();
  }
  return {};
}

bool Notifier::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mutex);
  return state_->idle.wait_for(lock, timeout, [&] { return state_->queue.empty() && !state_->sending; });
}

void Notifier::State::run() {
  std::unique_lock lock(mutex);
  while (!stopping) {
    if (queue.empty()) {
      idle.notify_all();
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      continue;
    }
    const auto next = std::min_element(queue.begin(), queue.end(),
                                       [](const Pending& a, const Pending& b) { return a.due < b.due; });
    if (next->due > Clock::now()) {
      const auto due = next->due;
      const auto seen = arrivals;
      wake.wait_until(lock, due, [&] { return stopping || arrivals != seen || Clock::now() >= due; });
      continue;
    }
    OutboxEntry entry = std::move(next->entry);
    queue.erase(next);
    sending = true;
    lock.unlock();

    SmtpDelivery delivery{.sender = {}, .recipients = entry.recipients, .message = entry.message};
    const auto sent = send_smtp(target, delivery, timing.send_timeout);
    auto retry = settle(std::move(entry), sent);

    lock.lock();
    sending = false;
    if (retry) queue.push_back(std::move(*retry));
  }
}

std::optional<Pending> Notifier::State::settle(OutboxEntry entry, const Result<std::string>& sent) {
  if (sent) {
    spdlog::info("notification for ref {} accepted by the MTA: {}", entry.reference, *sent);
    if (auto removed = outbox.remove(entry); !removed) {
      // Left on disk it would be sent again after a restart: a duplicate,
      // not a loss.
      spdlog::error("notification for ref {} was sent but {}", entry.reference, removed.error().message);
    }
    return std::nullopt;
  }
  ++entry.attempts;
  entry.last_error = sent.error().message;
  const bool give_up = !is_temporary(sent.error()) || entry.attempts >= settings.max_attempts;
  if (give_up) {
    spdlog::error("notification for ref {} given up after {} attempt(s): {}", entry.reference, entry.attempts,
                  entry.last_error);
    if (auto recorded = outbox.update(entry); !recorded) spdlog::error("notification outbox: {}", recorded.error().message);
    if (auto moved = outbox.move_to_failed(entry); !moved) spdlog::error("notification outbox: {}", moved.error().message);
    return std::nullopt;
  }
  const auto delay = backoff(timing, entry.attempts);
  spdlog::warn("notification for ref {} not sent (attempt {} of {}), retrying in {} ms: {}", entry.reference,
               entry.attempts, settings.max_attempts, delay.count(), entry.last_error);
  if (auto recorded = outbox.update(entry); !recorded) spdlog::error("notification outbox: {}", recorded.error().message);
  return Pending{std::move(entry), Clock::now() + delay};
}

}  // namespace privmilter
