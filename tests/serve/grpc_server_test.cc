// The gRPC front end driven through the generated C++ stub against a tiny
// random byte-level model: streamed tokens equal the engine's, seeds repeat,
// n choices, bad values are INVALID_ARGUMENT naming the field, deadlines and
// client cancellation free the engine's KV blocks, Tokenize / Detokenize /
// ModelInfo answer and the health service says SERVING.
#include "serve/grpc_server.h"

#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <thread>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "../infer/infer_test_util.h"
#include "seek/v1/inference.grpc.pb.h"
#include "serve/grpc_convert.h"
#include "tokenizer/bytes.h"
#include "tokenizer/unicode.h"

namespace seek {
namespace {

using std::chrono::milliseconds;

// 8 layers and a long context: a generation of a few thousand tokens takes
// seconds, so deadlines and cancels land mid-stream.
std::unique_ptr<InferenceService> MakeService(uint64_t seed) {
  ModelConfig c = testing::TinyConfig("llama", false, 8);
  c.vocab_size = ByteTokenizer::kVocabSize;
  c.extra[ByteTokenizer::kConfigKey] = ByteTokenizer::kConfigValue;
  c.max_positions = 4096;
  c.init_std = 0.3;
  auto m = Transformer::Create(c).value();
  m->params().Initialize(c, seed);
  EngineOptions o;
  o.threads = 1;
  auto engine = Engine::Create(std::move(m), nullptr, o).value();
  ServiceOptions so;
  so.model_name = "tiny";
  so.max_n = 4;
  return InferenceService::Create(std::move(engine), nullptr, so);
}

struct Call {
  grpc::Status status;
  std::vector<v1::GenerateResponse> messages;
  // Tokens of one choice, in order.
  std::vector<int32_t> Tokens(int index = 0) const {
    std::vector<int32_t> t;
    for (const auto& m : messages)
      if (m.index() == index && m.has_token_id()) t.push_back(m.token_id());
    return t;
  }
  std::string Text(int index = 0) const {
    std::string s;
    for (const auto& m : messages)
      if (m.index() == index) s += m.text();
    return s;
  }
};

class GrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    service_ = MakeService(testing::FreshSeed());
    auto server = GrpcServer::Start(service_.get(), "127.0.0.1", 0);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    ASSERT_GT(server_->port(), 0);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Inference::NewStub(channel_);
  }

  Call Generate(const v1::GenerateRequest& req, grpc::ClientContext* ctx = nullptr) {
    grpc::ClientContext local;
    if (!ctx) ctx = &local;
    Call c;
    auto reader = stub_->Generate(ctx, req);
    v1::GenerateResponse m;
    while (reader->Read(&m)) c.messages.push_back(m);
    c.status = reader->Finish();
    return c;
  }

  static v1::GenerateRequest Request(const std::vector<int32_t>& prompt, int max_tokens) {
    v1::GenerateRequest r;
    for (int32_t t : prompt) r.mutable_token_ids()->add_ids(t);
    r.set_max_tokens(max_tokens);
    r.set_ignore_eos(true);
    return r;
  }

  // Waits up to 5 s for the engine to free every KV block.
  bool BlocksReturn() {
    for (int i = 0; i < 500; ++i) {
      if (service_->engine().stats().kv_blocks_used == 0) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return false;
  }

  std::unique_ptr<InferenceService> service_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Inference::Stub> stub_;
};

TEST_F(GrpcServerTest, GreedyStreamEqualsEngine) {
  const std::vector<int32_t> prompt = ByteTokenizer::Encode("In the beginning");
  v1::GenerateRequest req = Request(prompt, 24);
  req.set_temperature(0);
  req.set_logprobs(2);
  Call c = Generate(req);
  ASSERT_TRUE(c.status.ok()) << c.status.error_message();

  GenerationRequest want_req{prompt, {}};
  want_req.sampling.temperature = 0;
  want_req.sampling.max_tokens = 24;
  want_req.sampling.ignore_eos = true;
  GenerationResult want = service_->engine().Generate(want_req);
  ASSERT_TRUE(want.error.ok());
  EXPECT_EQ(c.Tokens(), want.tokens);
  EXPECT_EQ(c.Text(), RepairUtf8(want.text));  // random bytes need not be UTF-8

  const v1::GenerateResponse& last = c.messages.back();
  EXPECT_EQ(last.finish_reason(), v1::FINISH_REASON_LENGTH);
  EXPECT_EQ(last.usage().prompt_tokens(), static_cast<int64_t>(prompt.size()));
  EXPECT_EQ(last.usage().completion_tokens(), 24);
  const v1::GenerateResponse& first = c.messages.front();
  EXPECT_EQ(first.finish_reason(), v1::FINISH_REASON_UNSPECIFIED);
  ASSERT_EQ(first.logprobs().top_size(), 2);
  EXPECT_EQ(first.logprobs().top(0).token_id(), first.token_id());  // greedy takes the best
  EXPECT_GE(service_->metrics().grpc_requests.load(), 1);
}

TEST_F(GrpcServerTest, SeedRepeatsAndChoicesUseSeedPlusIndex) {
  v1::GenerateRequest req;
  req.set_text("Let there be light");
  req.set_max_tokens(16);
  req.set_ignore_eos(true);
  req.set_seed(1234);
  Call a = Generate(req), b = Generate(req);
  ASSERT_TRUE(a.status.ok()) << a.status.error_message();
  ASSERT_EQ(a.Tokens().size(), 16u);
  EXPECT_EQ(a.Tokens(), b.Tokens());

  req.set_n(2);
  Call two = Generate(req);
  ASSERT_TRUE(two.status.ok()) << two.status.error_message();
  EXPECT_EQ(two.Tokens(0), a.Tokens());
  req.clear_n();
  req.set_seed(1235);
  EXPECT_EQ(two.Tokens(1), Generate(req).Tokens());
  int finished = 0;
  for (const auto& m : two.messages) finished += m.finish_reason() != v1::FINISH_REASON_UNSPECIFIED;
  EXPECT_EQ(finished, 2);
}

// Calls at once share the engine's batches; greedy tokens do not change.
TEST_F(GrpcServerTest, ConcurrentCallsGiveTheSameGreedyTokens) {
  v1::GenerateRequest req = Request(ByteTokenizer::Encode("And God said"), 20);
  req.set_temperature(0);
  const std::vector<int32_t> want = Generate(req).Tokens();
  ASSERT_EQ(want.size(), 20u);
  std::vector<Call> calls(6);
  std::vector<std::thread> threads;
  for (Call& c : calls) threads.emplace_back([&] { c = Generate(req); });
  for (auto& t : threads) t.join();
  for (const Call& c : calls) {
    EXPECT_TRUE(c.status.ok()) << c.status.error_message();
    EXPECT_EQ(c.Tokens(), want);
  }
}

TEST_F(GrpcServerTest, BadValuesAreInvalidArgumentNamingTheField) {
  struct Case {
    std::string name;
    std::function<void(v1::GenerateRequest*)> edit;
    std::string want;  // in the message
  };
  const std::vector<Case> cases = {
      {"temperature", [](auto* r) { r->set_temperature(-1); }, "temperature -1"},
      {"top_p", [](auto* r) { r->set_top_p(0); }, "top_p"},
      {"max_tokens past context", [](auto* r) { r->set_max_tokens(5000); }, "max_tokens"},
      {"max_tokens zero", [](auto* r) { r->set_max_tokens(0); }, "max_tokens 0"},
      {"empty prompt", [](auto* r) { r->mutable_token_ids()->clear_ids(); }, "prompt"},
      {"unset prompt", [](auto* r) { r->clear_prompt(); }, "prompt"},
      {"empty text", [](auto* r) { r->set_text(""); }, "prompt"},
      {"token id", [](auto* r) { r->mutable_token_ids()->add_ids(257); }, "prompt token id 257"},
      {"logit_bias", [](auto* r) { (*r->mutable_logit_bias())[999] = 1; }, "logit_bias token id 999"},
      {"logprobs", [](auto* r) { r->set_logprobs(21); }, "logprobs 21"},
      {"n", [](auto* r) { r->set_n(5); }, "n must be in [1, 4]"},
  };
  for (const Case& c : cases) {
    v1::GenerateRequest req = Request({1, 2, 3}, 4);
    c.edit(&req);
    Call call = Generate(req);
    EXPECT_EQ(call.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    EXPECT_NE(call.status.error_message().find(c.want), std::string::npos)
        << c.name << ": " << call.status.error_message();
    EXPECT_TRUE(call.messages.empty()) << c.name;
  }
  EXPECT_EQ(service_->engine().stats().kv_blocks_used, 0);
}

TEST_F(GrpcServerTest, DeadlineEndsTheCallAndFreesBlocks) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + milliseconds(300));
  Call c = Generate(Request({5, 6, 7}, 4000), &ctx);
  EXPECT_EQ(c.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << c.status.error_message();
  EXPECT_LT(c.Tokens().size(), 4000u);
  EXPECT_TRUE(BlocksReturn()) << service_->engine().stats().kv_blocks_used << " blocks still used";
  EXPECT_EQ(service_->engine().stats().running, 0);
}

TEST_F(GrpcServerTest, ClientCancelFreesBlocks) {
  grpc::ClientContext ctx;
  auto reader = stub_->Generate(&ctx, Request({5, 6, 7}, 4000));
  v1::GenerateResponse m;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(reader->Read(&m));
  EXPECT_GT(service_->engine().stats().kv_blocks_used, 0);
  ctx.TryCancel();
  while (reader->Read(&m)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(BlocksReturn()) << service_->engine().stats().kv_blocks_used << " blocks still used";
}

TEST_F(GrpcServerTest, ShutdownEndsRunningCalls) {
  grpc::ClientContext ctx;
  auto reader = stub_->Generate(&ctx, Request({5, 6, 7}, 4000));
  v1::GenerateResponse m;
  ASSERT_TRUE(reader->Read(&m));
  server_->Shutdown();
  while (reader->Read(&m)) {
  }
  EXPECT_FALSE(reader->Finish().ok());
  EXPECT_TRUE(BlocksReturn());
}

TEST_F(GrpcServerTest, TokenizeDetokenizeAndModelInfo) {
  grpc::ClientContext c1, c2, c3, c4;
  v1::TokenizeRequest tr;
  tr.set_text("héllo");
  v1::TokenizeResponse tok;
  ASSERT_TRUE(stub_->Tokenize(&c1, tr, &tok).ok());
  EXPECT_EQ(std::vector<int32_t>(tok.token_ids().begin(), tok.token_ids().end()),
            ByteTokenizer::Encode("héllo"));

  v1::DetokenizeRequest dr;
  dr.mutable_token_ids()->CopyFrom(tok.token_ids());
  v1::DetokenizeResponse text;
  ASSERT_TRUE(stub_->Detokenize(&c2, dr, &text).ok());
  EXPECT_EQ(text.text(), "héllo");
  dr.add_token_ids(300);
  grpc::Status bad = stub_->Detokenize(&c3, dr, &text);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("300"), std::string::npos) << bad.error_message();

  v1::ModelInfoResponse info;
  ASSERT_TRUE(stub_->ModelInfo(&c4, v1::ModelInfoRequest(), &info).ok());
  EXPECT_EQ(info.model_name(), "tiny");
  EXPECT_EQ(info.model_type(), "llama");
  EXPECT_EQ(info.vocab_size(), ByteTokenizer::kVocabSize);
  EXPECT_EQ(info.context_length(), 4096);
  EXPECT_EQ(info.num_layers(), 8);
  EXPECT_EQ(info.hidden_size(), 32);
  EXPECT_TRUE(info.has_tokenizer());
  EXPECT_TRUE(info.has_chat_template());  // ChatML when the model has none
  EXPECT_EQ(info.max_n(), 4);
}

TEST_F(GrpcServerTest, PortInUseIsAnError) {
  auto second = GrpcServer::Start(service_.get(), "127.0.0.1", server_->port());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find(std::to_string(server_->port())), std::string::npos)
      << second.status().ToString();
  EXPECT_FALSE(GrpcServer::Start(service_.get(), "127.0.0.1", 70000).ok());
}

// grpc.health.v1.Health/Check through a generic stub: the request
// HealthCheckRequest{service: ""} is empty; the answer SERVING is field 1 =
// 1, the two bytes 08 01.
TEST_F(GrpcServerTest, HealthReportsServing) {
  for (const std::string service : {"", "seek.v1.Inference"}) {
    grpc::GenericStub generic(channel_);
    grpc::ClientContext ctx;
    std::string req_bytes;
    if (!service.empty()) req_bytes = std::string("\x0a") + char(service.size()) + service;
    grpc::Slice slice(req_bytes);
    grpc::ByteBuffer req(&slice, 1), resp;
    std::promise<grpc::Status> done;
    generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &req, &resp,
                      [&](grpc::Status s) { done.set_value(s); });
    grpc::Status s = done.get_future().get();
    ASSERT_TRUE(s.ok()) << service << ": " << s.error_message();
    std::vector<grpc::Slice> slices;
    ASSERT_TRUE(resp.Dump(&slices).ok());
    std::string bytes;
    for (const auto& sl : slices) bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
    EXPECT_EQ(bytes, std::string("\x08\x01", 2)) << service;
  }
}

}  // namespace
}  // namespace seek

namespace seek {
namespace {

// A model without a tokenizer takes token ids only: text is UNIMPLEMENTED
// with the service's message, ids still generate.
TEST(GrpcServerNoTokenizer, TextIsUnimplemented) {
  auto engine = Engine::Create(testing::TinyModel("gpt2", 3), nullptr, EngineOptions{}).value();
  auto service = InferenceService::Create(std::move(engine), nullptr, ServiceOptions{});
  auto server = GrpcServer::Start(service.get(), "127.0.0.1", 0).value();
  auto stub = v1::Inference::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server->port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext c1, c2, c3;
  v1::TokenizeRequest tr;
  tr.set_text("hi");
  v1::TokenizeResponse tok;
  grpc::Status s = stub->Tokenize(&c1, tr, &tok);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(s.error_message().find("token ids"), std::string::npos) << s.error_message();

  v1::GenerateRequest req;
  req.set_text("hi");
  v1::GenerateResponse m;
  auto reader = stub->Generate(&c2, req);
  EXPECT_FALSE(reader->Read(&m));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNIMPLEMENTED);

  req.mutable_token_ids()->add_ids(1);
  reader = stub->Generate(&c3, req);
  int tokens = 0;
  while (reader->Read(&m)) {
    tokens += m.has_token_id();
    EXPECT_EQ(m.text(), "");
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(tokens, 16);  // the default max_tokens
}

TEST(GrpcConvert, TextIsRepairedToUtf8AndUnsetFieldsKeepDefaults) {
  ChoiceEvent e{1, TokenEvent{}};
  e.event.token = 255;
  e.event.text = "a\xff";
  v1::GenerateResponse r = ToResponse(e);
  EXPECT_EQ(r.index(), 1);
  EXPECT_EQ(r.token_id(), 255);
  EXPECT_EQ(r.text(), "a\xef\xbf\xbd");
  EXPECT_FALSE(r.has_usage());

  const SamplingParams defaults;
  SamplingParams p = ToSamplingParams(v1::GenerateRequest());
  EXPECT_EQ(p.temperature, defaults.temperature);
  EXPECT_EQ(p.top_p, defaults.top_p);
  EXPECT_EQ(p.repetition_penalty, defaults.repetition_penalty);
  EXPECT_EQ(p.max_tokens, defaults.max_tokens);
  EXPECT_EQ(p.logprobs, -1);
  EXPECT_FALSE(p.seed.has_value());
  EXPECT_EQ(ChoiceCount(v1::GenerateRequest()), 1);

  v1::GenerateRequest req;
  req.set_temperature(0);
  req.set_max_tokens(3);
  req.set_logprobs(0);
  (*req.mutable_logit_bias())[7] = -2;
  (*req.mutable_logit_bias())[2] = 5;
  p = ToSamplingParams(req);
  EXPECT_EQ(p.temperature, 0);
  EXPECT_EQ(p.max_tokens, 3);
  EXPECT_EQ(p.logprobs, 0);
  EXPECT_EQ(p.logit_bias, (std::vector<std::pair<int32_t, float>>{{2, 5.0f}, {7, -2.0f}}));
}

}  // namespace
}  // namespace seek
