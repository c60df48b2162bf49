#pragma once
// One MTA connection served by privmilter's own protocol engine. Reads on
// the I/O thread as much as the MTA has sent (with no-reply stages a whole
// message often arrives in one read), hands each packet to a
// ProtocolConversation, and judges the message on the inspection pool so
// that the I/O thread keeps serving the other connections meanwhile.

#include <utility>  // before Boost.Asio 1.74, whose awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "engine.h"
#include "milter_wire.h"
#include "protocol_conversation.h"

namespace privmilter::milter {

class AsioConnection : public std::enable_shared_from_this<AsioConnection> {
 public:
  using Socket = boost::asio::generic::stream_protocol::socket;

  // libmilter's default: an MTA that says nothing for this long is gone.
  static constexpr std::chrono::seconds kIdleTimeout{7210};

  AsioConnection(Socket socket, const Engine& engine, boost::asio::thread_pool& inspection);

  void start();
  // Closes the socket; the conversation ends with the next handler.
  void close();

 private:
  void read();
  void on_read(const boost::system::error_code& error, std::size_t size);
  // Handles the packets received so far; false once it stopped to judge a
  // message or closed.
  bool handle_packets();
  void judge_message();
  void send();
  void on_sent(const boost::system::error_code& error);
  void arm_idle_timer();

  Socket socket_;
  boost::asio::steady_timer idle_timer_;
  boost::asio::thread_pool& inspection_;
  ProtocolConversation conversation_;
  PacketReader reader_;
  std::string pending_;  // replies not yet handed to the socket
  std::string sending_;  // replies being written
  bool tcp_ = false;
  bool closing_ = false;  // close once what is pending is sent
  bool closed_ = false;
};

}  // namespace privmilter::milter
