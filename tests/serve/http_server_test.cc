// The HTTP server over a tiny random byte-level model, driven by an HTTP
// client on loopback (the real clients run in tests/e2e/serve_test.sh).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../infer/infer_test_util.h"
#include "serve/http_server.h"
#include "tokenizer/bytes.h"

namespace seek {
namespace {

using Json = nlohmann::json;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ModelConfig c = testing::TinyConfig("llama", false, 2);
    c.vocab_size = 320;  // the 257 byte ids and spare rows
    c.max_positions = 128;
    c.init_std = 0.3;
    c.extra[ByteTokenizer::kConfigKey] = ByteTokenizer::kConfigValue;
    StatusOr<std::unique_ptr<Transformer>> m = Transformer::Create(c);
    ASSERT_TRUE(m.ok());
    (*m)->params().Initialize(c, std::random_device{}());
    EngineOptions eo;
    eo.kv_cache_mb = 4;
    StatusOr<std::unique_ptr<Engine>> e = Engine::Create(std::move(*m), nullptr, eo);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    ServiceOptions so;
    so.model_name = "tiny";
    service_ = InferenceService::Create(std::move(*e), nullptr, so);
    HttpOptions ho;
    ho.port = 0;
    ho.max_body_bytes = 1 << 16;
    StatusOr<std::unique_ptr<HttpServer>> h = HttpServer::Start(service_.get(), ho);
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    http_ = std::move(*h);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", http_->port());
    client_->set_read_timeout(30, 0);
  }
  void TearDown() override {
    client_.reset();
    http_.reset();
    service_.reset();
  }

  Json Post(const std::string& path, const Json& body, int want_status = 200) {
    auto r = client_->Post(path.c_str(), body.dump(), "application/json");
    EXPECT_TRUE(r) << path;
    if (!r) return Json();
    EXPECT_EQ(r->status, want_status) << r->body;
    return Json::parse(r->body);
  }
  // The text of an SSE stream's chunks, checking it ends with [DONE].
  std::string StreamText(const Json& body) {
    auto r = client_->Post("/v1/completions", body.dump(), "application/json");
    EXPECT_TRUE(r && r->status == 200);
    if (!r) return "";
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream") << r->body.substr(0, 300);
    std::string text;
    size_t pos = 0;
    bool done = false;
    while ((pos = r->body.find("data: ", pos)) != std::string::npos) {
      const size_t end = r->body.find("\n\n", pos);
      const std::string data = r->body.substr(pos + 6, end - pos - 6);
      pos = end;
      if (data == "[DONE]") {
        done = true;
        continue;
      }
      const Json chunk = Json::parse(data);
      for (const Json& c : chunk["choices"]) text += c["text"].get<std::string>();
    }
    EXPECT_TRUE(done);
    return text;
  }
  int64_t Metric(const std::string& name) {
    auto r = client_->Get("/metrics");
    EXPECT_TRUE(r && r->status == 200);
    const size_t at = r->body.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stoll(r->body.substr(at + name.size() + 2));
  }

  std::unique_ptr<InferenceService> service_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpServerTest, GreedyCompletionEqualsTheEngine) {
  const std::vector<int32_t> prompt = {72, 105, 33, 10, 65};
  GenerationRequest g;
  g.prompt = prompt;
  g.sampling.temperature = 0;
  g.sampling.max_tokens = 12;
  g.sampling.ignore_eos = true;
  g.sampling.logprobs = 0;
  GenerationResult want = service_->engine().Generate(g);
  ASSERT_TRUE(want.error.ok());
  Json r = Post("/v1/completions", {{"model", "tiny"}, {"prompt", prompt}, {"max_tokens", 12}, {"temperature", 0},
                                    {"ignore_eos", true}, {"logprobs", 0}, {"return_tokens_as_token_ids", true}});
  const Json& lp = r["choices"][0]["logprobs"];
  ASSERT_EQ(lp["tokens"].size(), want.tokens.size());
  for (size_t i = 0; i < want.tokens.size(); ++i) {
    EXPECT_EQ(lp["tokens"][i], "token_id:" + std::to_string(want.tokens[i]));
    EXPECT_NEAR(lp["token_logprobs"][i].get<double>(), want.logprobs[i].logprob, 1e-6);
  }
  EXPECT_EQ(r["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(r["usage"]["prompt_tokens"], 5);
  EXPECT_EQ(r["usage"]["completion_tokens"], 12);
  EXPECT_EQ(r["object"], "text_completion");
}

TEST_F(HttpServerTest, StreamedTextEqualsWholeTextForTheSameSeed) {
  Json body = {{"model", "tiny"}, {"prompt", "Hello"}, {"max_tokens", 20}, {"temperature", 1.0},
               {"seed", 1234}, {"ignore_eos", true}};
  const std::string whole = Post("/v1/completions", body)["choices"][0]["text"];
  body["stream"] = true;
  EXPECT_EQ(StreamText(body), whole);
  // n = 2: two choices, the first equal to n = 1 with the same seed.
  body.erase("stream");
  body["n"] = 2;
  Json two = Post("/v1/completions", body);
  ASSERT_EQ(two["choices"].size(), 2u);
  EXPECT_EQ(two["choices"][0]["text"], whole);
  EXPECT_EQ(two["usage"]["completion_tokens"], 40);
}

TEST_F(HttpServerTest, ChatCompletionWithTheDefaultTemplate) {
  Json r = Post("/v1/chat/completions", {{"model", "tiny"},
                                         {"messages", {{{"role", "user"}, {"content", "hi"}}}},
                                         {"max_tokens", 5}, {"ignore_eos", true}});
  EXPECT_EQ(r["object"], "chat.completion");
  EXPECT_EQ(r["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(r["usage"]["completion_tokens"], 5);
  EXPECT_GT(r["usage"]["prompt_tokens"].get<int>(), 2);
}

TEST_F(HttpServerTest, BadRequestsGetOpenAiErrors) {
  auto check = [&](const std::string& body, int status, const std::string& words) {
    auto r = client_->Post("/v1/completions", body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << body;
    Json j = Json::parse(r->body);
    EXPECT_NE(j["error"]["message"].get<std::string>().find(words), std::string::npos) << r->body;
  };
  check(R"({"model": "tiny", "prompt": "x", "max_tokens": 500})", 400, "past the model's context");
  check(R"({"model": "tiny", "prompt": [400]})", 400, "outside the vocabulary");
  check(R"({"model": "tiny", "prompt": "x", "logit_bias": {"999": 1}})", 400, "logit_bias");
  check(R"({"model": "other", "prompt": "x"})", 404, "does not exist");
  check(R"({"model": "tiny", "prompt": "x", "n": 20})", 400, "'n'");
  check(std::string(70000, ' '), 400, "larger than the server's limit");
  auto r = client_->Get("/nowhere");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_TRUE(Json::parse(r->body).contains("error"));
  EXPECT_EQ(client_->Get("/health")->status, 200);
  EXPECT_EQ(client_->Get("/ready")->status, 200);
}

// A client that hangs up mid-stream: its sequence is cancelled and its KV
// blocks are freed.
TEST_F(HttpServerTest, DisconnectCancelsTheSequence) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(http_->port()));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  const std::string body = R"({"model": "tiny", "prompt": "x", "max_tokens": 120, "n": 4, "stream": true,
                               "ignore_eos": true})";
  const std::string req = "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  ASSERT_EQ(write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  char buf[512];
  ASSERT_GT(read(fd, buf, sizeof(buf)), 0);  // the stream has started
  close(fd);
  // Cancelled within a step or two; allow a generous wall time for a loaded machine.
  int64_t cancelled = 0;
  for (int i = 0; i < 200 && cancelled < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::string m = client_->Get("/metrics")->body;
    const std::string key = "finished_reason=\"cancelled\"} ";
    cancelled = std::stoll(m.substr(m.find(key) + key.size()));
  }
  EXPECT_EQ(cancelled, 4);
  EXPECT_EQ(Metric("seek_kv_cache_blocks_used"), 0);
  EXPECT_EQ(Metric("seek_num_requests_running"), 0);
  EXPECT_LT(service_->engine().stats().generated_tokens, 4 * 120) << "the sequences ran to the end";
}

TEST_F(HttpServerTest, TokenizeDetokenizeAndModels) {
  Json t = Post("/tokenize", {{"prompt", "héllo"}});
  EXPECT_EQ(t["count"], 6);
  Json d = Post("/detokenize", {{"tokens", t["tokens"]}});
  EXPECT_EQ(d["prompt"], "héllo");
  Post("/detokenize", {{"tokens", {1, 999}}}, 400);
  auto m = client_->Get("/v1/models");
  ASSERT_TRUE(m && m->status == 200);
  Json j = Json::parse(m->body);
  EXPECT_EQ(j["data"][0]["id"], "tiny");
  EXPECT_EQ(j["data"][0]["max_model_len"], 128);
}

}  // namespace
}  // namespace seek
