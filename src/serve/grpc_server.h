// serve/grpc_server.h — the gRPC front end (proto/seek/v1/inference.proto):
// Generate (server-streaming), Tokenize, ModelInfo, and the standard
// grpc.health.v1.Health service. A client's deadline or cancellation
// cancels its sequences in the engine within one decode step.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "serve/service.h"

namespace seek {

class GrpcServer {
 public:
  // Listens on host:port (port 0: any free port, see port()). The service
  // must outlive the server.
  static StatusOr<std::unique_ptr<GrpcServer>> Start(InferenceService* service, const std::string& host,
                                                     int port);
  ~GrpcServer();  // Shutdown()
  int port() const { return port_; }
  // Stops accepting calls, cancels running ones, waits for them to end.
  void Shutdown();

 private:
  struct Impl;
  GrpcServer() = default;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace seek
