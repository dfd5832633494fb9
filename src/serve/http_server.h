// serve/http_server.h — the OpenAI-compatible HTTP front end (cpp-httplib):
//   POST /v1/completions, POST /v1/chat/completions (stream: true as
//   server-sent events), GET /v1/models, POST /tokenize, POST /detokenize,
//   GET /health, GET /ready, GET /metrics (Prometheus).
// Every response, streamed or not, is written by a content provider that
// polls the connection between decode steps: a client that goes away has
// its sequences cancelled (their KV blocks freed) at the engine's next step.
// Refusals carry OpenAI's error body (serve/openai_request.h).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <thread>

#include "core/status.h"
#include "serve/service.h"

namespace httplib {
class Server;
}

namespace seek {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8000;                      // 0: any free port (see HttpServer::port())
  size_t max_body_bytes = 8u << 20;     // larger request bodies get a 400
  int threads = 0;                      // connections served at once (a thread each); 0: 64
};

class HttpServer {
 public:
  // Binds and starts serving on a background thread. The service must
  // outlive the server.
  static StatusOr<std::unique_ptr<HttpServer>> Start(InferenceService* service, const HttpOptions& options);
  ~HttpServer();  // Shutdown()
  int port() const { return port_; }
  void Shutdown();

 private:
  HttpServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace seek
