// `seek serve --model DIR`: the inference service — the OpenAI-compatible
// HTTP API and the gRPC API over one continuous-batching engine. Prints
// `seek serve: ready model=NAME http=HOST:PORT grpc=HOST:PORT` once it
// accepts requests; SIGINT / SIGTERM stop it cleanly.
#include <csignal>
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "serve/grpc_server.h"
#include "serve/http_server.h"
#include "serve/service.h"

namespace seek::cli {
namespace {

struct ServeFlags {
  std::string model, host = "127.0.0.1", served_model_name, chat_template;
  int http_port = 8000, grpc_port = 50051, threads = 0, http_threads = 0;
  int64_t max_batch = 16, max_n = 16;
  double kv_cache_mb = 256, max_body_mb = 8;
};

int RunServe(const ServeFlags& f) {
  // The signals are taken by sigwait below, never by a server thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up is noticed by the write, not killed by it

  EngineOptions eo;
  eo.max_batch = f.max_batch;
  eo.kv_cache_mb = f.kv_cache_mb;
  eo.threads = f.threads;
  ServiceOptions so;
  so.model_name = f.served_model_name;
  so.chat_template_path = f.chat_template;
  so.max_n = f.max_n;
  std::fprintf(stderr, "seek serve: loading %s\n", f.model.c_str());
  StatusOr<std::unique_ptr<InferenceService>> service = InferenceService::Load(f.model, eo, so);
  if (!service.ok()) return Fail("serve", service.status());
  InferenceService& s = **service;

  HttpOptions ho;
  ho.host = f.host;
  ho.port = f.http_port;
  ho.max_body_bytes = static_cast<size_t>(f.max_body_mb * (1 << 20));
  ho.threads = f.http_threads;
  StatusOr<std::unique_ptr<HttpServer>> http = HttpServer::Start(&s, ho);
  if (!http.ok()) return Fail("serve", http.status());
  std::unique_ptr<GrpcServer> grpc;
  if (f.grpc_port >= 0) {
    StatusOr<std::unique_ptr<GrpcServer>> g = GrpcServer::Start(&s, f.host, f.grpc_port);
    if (!g.ok()) return Fail("serve", g.status());
    grpc = std::move(*g);
  }

  const ModelConfig& c = s.config();
  std::fprintf(stderr,
               "seek serve: %s (%s, %lld layers, hidden %lld, vocab %lld, context %lld), KV cache %lld blocks, "
               "max batch %lld\n",
               s.model_name().c_str(), c.family.c_str(), static_cast<long long>(c.n_layer),
               static_cast<long long>(c.hidden), static_cast<long long>(c.vocab_size),
               static_cast<long long>(c.max_positions), static_cast<long long>(s.engine().stats().kv_blocks_total),
               static_cast<long long>(f.max_batch));
  const std::string grpc_at = grpc ? fmt::format(" grpc={}:{}", f.host, grpc->port()) : "";
  std::printf("seek serve: ready model=%s http=%s:%d%s\n", s.model_name().c_str(), f.host.c_str(), (*http)->port(),
              grpc_at.c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::fprintf(stderr, "seek serve: %s, shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  (*http)->Shutdown();
  if (grpc) grpc->Shutdown();
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, Action* run) {
  auto f = std::make_shared<ServeFlags>();
  CLI::App* c = app.add_subcommand(
      "serve", "Serve a model over an OpenAI-compatible HTTP API and gRPC (continuous batching)");
  c->add_option("--model", f->model, "model directory (config.json, model.safetensors, tokenizer.json)")
      ->required()
      ->check(CLI::ExistingDirectory);
  c->add_option("--host", f->host, "address to listen on")->capture_default_str();
  c->add_option("--http-port", f->http_port, "HTTP port (0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  c->add_option("--grpc-port", f->grpc_port, "gRPC port (0: any free port, -1: no gRPC)")
      ->check(CLI::Range(-1, 65535))
      ->capture_default_str();
  c->add_option("--max-batch", f->max_batch, "sequences decoded together")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}))
      ->capture_default_str();
  c->add_option("--kv-cache-mb", f->kv_cache_mb, "KV cache budget in MB")
      ->check(CLI::Range(0.01, 1e7))
      ->capture_default_str();
  c->add_option("--served-model-name", f->served_model_name, "the model id clients send (default: the directory name)");
  c->add_option("--chat-template", f->chat_template,
                "a tokenizer_config.json or .jinja file to use instead of the model's chat template")
      ->check(CLI::ExistingFile);
  c->add_option("--max-n", f->max_n, "most choices (n) per request")
      ->check(CLI::Range(int64_t{1}, int64_t{16}))
      ->capture_default_str();
  c->add_option("--max-body-mb", f->max_body_mb, "largest request body in MB")
      ->check(CLI::Range(0.001, 1024.0))
      ->capture_default_str();
  c->add_option("--threads", f->threads, "OpenMP threads of the engine (0: default)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  c->add_option("--http-threads", f->http_threads, "HTTP connections served at once (0: 64)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  c->callback([f, run] { *run = [f] { return RunServe(*f); }; });
}

}  // namespace seek::cli
