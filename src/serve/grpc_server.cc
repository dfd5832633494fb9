#include "serve/grpc_server.h"

#include <chrono>

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "seek/v1/inference.grpc.pb.h"
#include "serve/grpc_convert.h"
#include "tokenizer/unicode.h"

namespace seek {
namespace {

// How often a Generate handler looks for a client that went away between
// engine events.
constexpr std::chrono::milliseconds kPollInterval(20);

// The seek.v1.Inference service on the synchronous API: one server thread
// per call, which drains its GenerationStream.
class InferenceImpl final : public v1::Inference::Service {
 public:
  explicit InferenceImpl(InferenceService* service) : service_(service) {}

  grpc::Status Generate(grpc::ServerContext* ctx, const v1::GenerateRequest* req,
                        grpc::ServerWriter<v1::GenerateResponse>* writer) override {
    Count();
    StatusOr<std::vector<int32_t>> prompt = PromptIds(*service_, *req);
    if (!prompt.ok()) return ToGrpcStatus(prompt.status());
    StatusOr<std::shared_ptr<GenerationStream>> stream =
        service_->Generate(std::move(*prompt), ToSamplingParams(*req), ChoiceCount(*req));
    if (!stream.ok()) return ToGrpcStatus(stream.status());
    return Drain(ctx, stream->get(), writer);
  }

  grpc::Status Tokenize(grpc::ServerContext*, const v1::TokenizeRequest* req,
                        v1::TokenizeResponse* resp) override {
    Count();
    StatusOr<std::vector<int32_t>> ids =
        service_->Tokenize(req->text(), req->has_add_special_tokens() ? req->add_special_tokens() : true);
    if (!ids.ok()) return ToGrpcStatus(ids.status());
    resp->mutable_token_ids()->Assign(ids->begin(), ids->end());
    return grpc::Status::OK;
  }

  grpc::Status Detokenize(grpc::ServerContext*, const v1::DetokenizeRequest* req,
                          v1::DetokenizeResponse* resp) override {
    Count();
    StatusOr<std::string> text =
        service_->Detokenize(std::vector<int32_t>(req->token_ids().begin(), req->token_ids().end()));
    if (!text.ok()) return ToGrpcStatus(text.status());
    resp->set_text(RepairUtf8(*text));  // proto3 strings must be UTF-8
    return grpc::Status::OK;
  }

  grpc::Status ModelInfo(grpc::ServerContext*, const v1::ModelInfoRequest*,
                         v1::ModelInfoResponse* resp) override {
    Count();
    const ModelConfig& c = service_->config();
    resp->set_model_name(service_->model_name());
    resp->set_model_type(c.family);
    resp->set_vocab_size(c.vocab_size);
    resp->set_context_length(service_->context_length());
    resp->set_num_layers(c.n_layer);
    resp->set_hidden_size(c.hidden);
    resp->set_num_attention_heads(c.n_head);
    resp->set_num_key_value_heads(c.n_kv_head);
    resp->set_has_tokenizer(service_->has_text());
    resp->set_has_chat_template(service_->has_chat_template());
    resp->set_max_n(static_cast<int32_t>(service_->options().max_n));
    resp->set_created(service_->created());
    return grpc::Status::OK;
  }

 private:
  void Count() { service_->metrics().grpc_requests.fetch_add(1, std::memory_order_relaxed); }

  // Writes one message per event until every choice has finished. A client
  // that cancels, passes its deadline or stops reading cancels the stream;
  // the engine's remaining events are then drained without being sent, so
  // the call ends only once the engine has let go of its sequences.
  grpc::Status Drain(grpc::ServerContext* ctx, GenerationStream* stream,
                     grpc::ServerWriter<v1::GenerateResponse>* writer) {
    std::vector<ChoiceEvent> events;
    bool gone = false;
    Status error;
    while (stream->Wait(&events, kPollInterval)) {
      for (const ChoiceEvent& e : events) {
        if (e.event.finish_reason == FinishReason::kError && error.ok()) error = e.event.error;
        if (!gone && !writer->Write(ToResponse(e))) gone = true;
      }
      events.clear();
      if (!gone && ctx->IsCancelled()) gone = true;
      if (gone) stream->Cancel();  // idempotent
    }
    if (gone) {
      if (ctx->deadline() <= std::chrono::system_clock::now())
        return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "the call's deadline passed");
      return grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled");
    }
    if (!error.ok()) return ToGrpcStatus(error);
    return grpc::Status::OK;
  }

  InferenceService* service_;
};

std::string Address(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos && host.front() != '[';
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

struct GrpcServer::Impl {
  explicit Impl(InferenceService* s) : inference(s) {}
  InferenceImpl inference;
  std::unique_ptr<grpc::Server> server;
};

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(InferenceService* service, const std::string& host,
                                                        int port) {
  if (port < 0 || port > 65535) return InvalidArgumentError("gRPC port {} must be in [0, 65535]", port);
  if (host.empty()) return InvalidArgumentError("gRPC host must not be empty");
  std::unique_ptr<GrpcServer> s(new GrpcServer());
  s->impl_ = std::make_unique<Impl>(service);
  // grpc.health.v1.Health, served by gRPC's own implementation.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  const std::string address = Address(host, port);
  int selected = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &selected);
  // Without this, Linux's SO_REUSEPORT lets a second server bind a port in
  // use and silently share its calls; a busy port must be an error.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(&s->impl_->inference);
  s->impl_->server = builder.BuildAndStart();
  if (!s->impl_->server || selected == 0)
    return IoError("gRPC server cannot listen on {} (address in use, or the host is not local)", address);
  s->port_ = selected;
  // The model is loaded (the service exists): ready for calls.
  grpc::HealthCheckServiceInterface* health = s->impl_->server->GetHealthCheckService();
  if (health) {
    health->SetServingStatus("", true);
    health->SetServingStatus(v1::Inference::service_full_name(), true);
  }
  return s;
}

GrpcServer::~GrpcServer() { Shutdown(); }

void GrpcServer::Shutdown() {
  if (!impl_ || !impl_->server) return;
  if (grpc::HealthCheckServiceInterface* health = impl_->server->GetHealthCheckService()) health->Shutdown();
  // A deadline of now cancels running calls at once; their handlers see
  // IsCancelled(), cancel their streams and return. Shutdown waits for them.
  impl_->server->Shutdown(std::chrono::system_clock::now());
  impl_->server->Wait();
  impl_->server.reset();
}

}  // namespace seek
