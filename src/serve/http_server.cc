#include "serve/http_server.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "serve/http_handlers.h"

namespace seek {
namespace http {

using Json = nlohmann::ordered_json;

void SendError(httplib::Response& res, const ApiError& e) {
  res.status = e.http_status;
  res.set_content(e.Body(), "application/json");
}

bool CheckModel(InferenceService* s, const std::string& model, bool required, httplib::Response& res) {
  if (model.empty() && !required) return true;
  if (model == s->model_name()) return true;
  SendError(res, ApiError{404, fmt::format("The model '{}' does not exist; this server serves '{}'", model,
                                           s->model_name()),
                          "invalid_request_error", "model", "model_not_found"});
  return false;
}

namespace {

void SendJson(httplib::Response& res, const Json& j) {
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void Models(InferenceService* s, httplib::Response& res) {
  const ModelConfig& c = s->config();
  Json m = {{"id", s->model_name()},       {"object", "model"},
            {"created", s->created()},      {"owned_by", "seek"},
            {"root", s->model_name()},      {"parent", nullptr},
            {"max_model_len", s->context_length()}, {"model_type", c.family}};
  SendJson(res, Json{{"object", "list"}, {"data", Json::array({m})}});
}

void Tokenize(InferenceService* s, const httplib::Request& req, httplib::Response& res) {
  TokenizeRequest t;
  ApiError err;
  if (!ParseTokenizeRequest(req.body, &t, &err)) return SendError(res, err);
  if (!CheckModel(s, t.model, false, res)) return;
  std::string text = t.prompt;
  bool special = t.add_special_tokens;
  if (!t.messages.is_null()) {
    StatusOr<std::string> r = s->RenderChat(t.messages, t.add_generation_prompt);
    if (!r.ok()) return SendError(res, ApiErrorFromStatus(r.status()));
    text = *r;
    special = false;
  }
  StatusOr<std::vector<int32_t>> ids = s->Tokenize(text, special);
  if (!ids.ok()) return SendError(res, ApiErrorFromStatus(ids.status()));
  SendJson(res, Json{{"count", ids->size()}, {"max_model_len", s->context_length()}, {"tokens", *ids}});
}

void Detokenize(InferenceService* s, const httplib::Request& req, httplib::Response& res) {
  DetokenizeRequest d;
  ApiError err;
  if (!ParseDetokenizeRequest(req.body, &d, &err)) return SendError(res, err);
  if (!CheckModel(s, d.model, false, res)) return;
  StatusOr<std::string> text = s->Detokenize(d.tokens);
  if (!text.ok()) {
    ApiError e = ApiErrorFromStatus(text.status());
    e.param = "tokens";
    return SendError(res, e);
  }
  SendJson(res, Json{{"prompt", *text}});
}

}  // namespace
}  // namespace http

namespace {

// Debian's cpp-httplib 0.11 is a compiled library that listens with a backlog
// of 5 (CPPHTTPLIB_LISTEN_BACKLOG is baked in): a burst of new connections
// overflows the accept queue, the kernel drops their SYNs and the clients
// retry only after 1 s (16 streaming clients connecting at once: up to 9 of
// them got their first byte after 1.05 s; TcpExtListenOverflows counted the
// drops). listen() again on the bound socket raises the backlog; httplib does
// not expose the socket, so it is found among our fds by its local port.
void RaiseListenBacklog(int port) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    const int fd = std::atoi(e.path().filename().c_str());
    int listening = 0;
    socklen_t len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) continue;
    sockaddr_storage a{};
    socklen_t alen = sizeof a;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &alen) != 0) continue;
    const int p = a.ss_family == AF_INET    ? ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port)
                  : a.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&a)->sin6_port)
                                            : -1;
    if (p == port) ::listen(fd, SOMAXCONN);
  }
}

}  // namespace

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(InferenceService* s, const HttpOptions& o) {
  std::unique_ptr<HttpServer> h(new HttpServer());
  h->server_ = std::make_unique<httplib::Server>();
  httplib::Server& srv = *h->server_;
  const int threads = o.threads > 0 ? o.threads : 64;
  srv.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  srv.set_payload_max_length(o.max_body_bytes);
  // Tokens are small writes: with Nagle's algorithm on (httplib's default) a write
  // waits for the ACK of the previous one, which the client delays up to 40 ms, so
  // streams arrived in 40-50 ms bursts (a 3-way busy server's time to first token
  // was 46-53 ms instead of 6-8).
  srv.set_tcp_nodelay(true);
  // httplib's default socket options add SO_REUSEPORT: a second server on a port
  // in use then bound it too and the kernel split the connections between the
  // two. SO_REUSEADDR only (a restart may reuse a port in TIME_WAIT).
  srv.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  srv.set_keep_alive_max_count(1000);
  srv.set_read_timeout(60, 0);
  srv.set_write_timeout(60, 0);
  const size_t max_body = o.max_body_bytes;
  srv.set_pre_routing_handler([s](const httplib::Request&, httplib::Response&) {
    s->metrics().http_requests.fetch_add(1, std::memory_order_relaxed);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  srv.Post("/v1/completions", [s](const httplib::Request& q, httplib::Response& r) {
    http::HandleCompletions(s, q, r, false);
  });
  srv.Post("/v1/chat/completions", [s](const httplib::Request& q, httplib::Response& r) {
    http::HandleCompletions(s, q, r, true);
  });
  srv.Get("/v1/models", [s](const httplib::Request&, httplib::Response& r) { http::Models(s, r); });
  srv.Post("/tokenize", [s](const httplib::Request& q, httplib::Response& r) { http::Tokenize(s, q, r); });
  srv.Post("/detokenize", [s](const httplib::Request& q, httplib::Response& r) { http::Detokenize(s, q, r); });
  srv.Get("/health", [](const httplib::Request&, httplib::Response& r) { r.set_content("", "text/plain"); });
  srv.Get("/ready", [s](const httplib::Request&, httplib::Response& r) {
    const bool ready = s->Ready();
    r.status = ready ? 200 : 503;
    http::SendJson(r, nlohmann::ordered_json{{"status", ready ? "ready" : "not ready"}});
  });
  srv.Get("/metrics", [s](const httplib::Request&, httplib::Response& r) {
    r.set_content(s->MetricsText(), "text/plain; version=0.0.4; charset=utf-8");
  });
  // Errors httplib raises itself (unknown route, body over the limit, a
  // malformed request line) and exceptions get OpenAI's error body too.
  srv.set_error_handler([max_body](const httplib::Request& q, httplib::Response& r) {
    if (!r.body.empty()) return;
    ApiError e;
    e.http_status = r.status;
    if (r.status == 413) {
      e.http_status = 400;
      e.param = "body";
      e.message = fmt::format("the request body is larger than the server's limit of {} bytes "
                              "(seek serve --max-body-mb)", max_body);
    } else if (r.status == 404) {
      e.message = fmt::format("no route {} {}; see GET /v1/models, POST /v1/completions, "
                              "POST /v1/chat/completions", q.method, q.path);
    } else if (r.status == 405) {
      e.message = fmt::format("method {} is not allowed on {}", q.method, q.path);
    } else {
      e.message = fmt::format("HTTP {}", r.status);
    }
    http::SendError(r, e);
  });
  srv.set_exception_handler([](const httplib::Request&, httplib::Response& r, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& ex) {
      what = ex.what();
    } catch (...) {
    }
    http::SendError(r, ApiError{500, "internal error: " + what, "internal_error", "", ""});
  });
  const int port = o.port == 0 ? srv.bind_to_any_port(o.host) : (srv.bind_to_port(o.host, o.port) ? o.port : -1);
  if (port < 0)
    return InvalidArgumentError("cannot listen for HTTP on {}:{} (address in use or not local?)", o.host, o.port);
  h->port_ = port;
  RaiseListenBacklog(port);
  h->thread_ = std::thread([&srv] { srv.listen_after_bind(); });
  return h;
}

HttpServer::~HttpServer() { Shutdown(); }

void HttpServer::Shutdown() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace seek
