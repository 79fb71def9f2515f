#pragma once
/// The byte stream a wire-protocol connection actor (MQTT) speaks over:
/// a TCP/TLS socket as it is, or the binary messages of a WebSocket
/// (actors/ws_transport.hpp, MQTT over WebSocket at /mqtt). The actor
/// owns it and uses it from its own thread only, except abort().

#include <caf/actor.hpp>
#include <memory>
#include <string>

#include "actors/messages.hpp"

namespace themis {

class wire_transport {
public:
  virtual ~wire_transport() = default;
  /// Starts delivering `data_atom` / `closed_atom` to `sink`.
  virtual void start(caf::actor sink) = 0;
  /// Bytes that arrived (as delivered in a data_atom) → the protocol's
  /// bytes in them (possibly none yet). A WebSocket answers pings and
  /// fails bad frames here.
  virtual std::string on_input(std::string bytes) = 0;
  /// Queues protocol bytes for the peer.
  virtual void write(std::string bytes) = 0;
  /// Pieces handed to write() (and the transport's own) not yet written.
  virtual size_t queued_writes() const = 0;
  /// Ends the stream once what is queued is written.
  virtual void close_after_writes() = 0;
  /// Ends it now. Thread-safe.
  virtual void abort() = 0;
  virtual const std::string& remote_address() const = 0;
  /// The verified TLS client certificate's subject ("" without one).
  virtual const std::string& client_subject() const = 0;
  /// "tcp" or "websocket" (access log).
  virtual const char* kind() const = 0;
};

/// The socket as it is.
std::shared_ptr<wire_transport> make_tcp_transport(connection_ptr conn);

} // namespace themis
