// Request parsing and response building of the OpenAI API (no server).
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "serve/openai_request.h"
#include "serve/openai_response.h"

namespace seek {
namespace {

using Json = nlohmann::ordered_json;

CompletionRequest MustParse(const std::string& body, bool chat) {
  CompletionRequest r;
  ApiError e;
  EXPECT_TRUE(ParseCompletionRequest(body, chat, &r, &e)) << body << " -> " << e.message;
  return r;
}

ApiError MustFail(const std::string& body, bool chat) {
  CompletionRequest r;
  ApiError e;
  EXPECT_FALSE(ParseCompletionRequest(body, chat, &r, &e)) << body;
  EXPECT_EQ(e.http_status, 400) << body;
  // The body is OpenAI's error object.
  Json j = Json::parse(e.Body());
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
  return e;
}

TEST(OpenAiRequest, ReadsEveryCompletionField) {
  CompletionRequest r = MustParse(R"({"model": "m", "prompt": "hi", "max_tokens": 7, "temperature": 0.5,
      "top_p": 0.9, "top_k": 40, "min_p": 0.05, "repetition_penalty": 1.1, "presence_penalty": 0.5,
      "frequency_penalty": -0.5, "logit_bias": {"12": -100, "7": 5.5}, "seed": 99, "n": 3,
      "stop": ["\n\n", "END"], "stream": true, "stream_options": {"include_usage": true}, "logprobs": 2,
      "echo": true, "ignore_eos": true, "stop_token_ids": [3, 4], "return_tokens_as_token_ids": true,
      "user": "someone", "unknown_field": [1, 2]})", false);
  EXPECT_EQ(r.model, "m");
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_EQ(r.prompts[0].text, "hi");
  const SamplingParams& s = r.sampling;
  EXPECT_EQ(s.max_tokens, 7);
  EXPECT_TRUE(r.max_tokens_given);
  EXPECT_DOUBLE_EQ(s.temperature, 0.5);
  EXPECT_DOUBLE_EQ(s.top_p, 0.9);
  EXPECT_EQ(s.top_k, 40);
  EXPECT_DOUBLE_EQ(s.min_p, 0.05);
  EXPECT_DOUBLE_EQ(s.repetition_penalty, 1.1);
  EXPECT_DOUBLE_EQ(s.presence_penalty, 0.5);
  EXPECT_DOUBLE_EQ(s.frequency_penalty, -0.5);
  ASSERT_EQ(s.logit_bias.size(), 2u);
  EXPECT_EQ(s.logit_bias[0], (std::pair<int32_t, float>{12, -100.f}));
  EXPECT_EQ(s.logit_bias[1], (std::pair<int32_t, float>{7, 5.5f}));
  EXPECT_EQ(*s.seed, 99u);
  EXPECT_EQ(r.n, 3);
  EXPECT_EQ(s.stop, (std::vector<std::string>{"\n\n", "END"}));
  EXPECT_TRUE(r.stream && r.include_usage && r.echo && s.ignore_eos && r.return_tokens_as_token_ids);
  EXPECT_EQ(s.logprobs, 2);
  EXPECT_EQ(s.stop_token_ids, (std::vector<int32_t>{3, 4}));
}

TEST(OpenAiRequest, PromptForms) {
  EXPECT_EQ(MustParse(R"({"model": "m", "prompt": ["a", "b"]})", false).prompts.size(), 2u);
  CompletionRequest ids = MustParse(R"({"model": "m", "prompt": [5, 6, 7]})", false);
  ASSERT_EQ(ids.prompts.size(), 1u);
  EXPECT_TRUE(ids.prompts[0].is_ids);
  EXPECT_EQ(ids.prompts[0].ids, (std::vector<int32_t>{5, 6, 7}));
  CompletionRequest many = MustParse(R"({"model": "m", "prompt": [[1], [2, 3]]})", false);
  ASSERT_EQ(many.prompts.size(), 2u);
  EXPECT_EQ(many.prompts[1].ids, (std::vector<int32_t>{2, 3}));
  EXPECT_FALSE(MustParse(R"({"model": "m", "prompt": "x"})", false).max_tokens_given);
  EXPECT_EQ(MustParse(R"({"model": "m", "prompt": "x"})", false).sampling.max_tokens, 16);
}

TEST(OpenAiRequest, ChatMessagesAndLogprobs) {
  CompletionRequest r = MustParse(R"({"model": "m", "messages": [{"role": "system", "content": "be brief"},
      {"role": "user", "content": [{"type": "text", "text": "he"}, {"type": "text", "text": "llo"}]},
      {"role": "assistant", "content": null}], "logprobs": true, "top_logprobs": 3,
      "max_completion_tokens": 9, "chat_template_kwargs": {"enable_thinking": false}})", true);
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[1]["content"], "hello");  // text parts joined
  EXPECT_EQ(r.messages[2]["content"], "");
  EXPECT_EQ(r.sampling.logprobs, 3);
  EXPECT_EQ(r.sampling.max_tokens, 9);
  EXPECT_EQ(r.chat_template_kwargs["enable_thinking"], false);
  EXPECT_EQ(MustParse(R"({"model": "m", "messages": [{"role": "user", "content": "x"}]})", true).sampling.logprobs, -1);
}

TEST(OpenAiRequest, BadInputsNameTheField) {
  struct Case {
    const char* body;
    bool chat;
    const char* param;  // "" = none
    const char* words;  // in the message
  };
  const Case cases[] = {
      {R"({"model": "m", "prompt": "x", "max_tokens": "ten"})", false, "max_tokens", "must be an integer"},
      {R"({"model": "m", "prompt": "x", "max_tokens": 0})", false, "max_tokens", "must be in"},
      {R"({"model": "m", "prompt": "x", "max_tokens": 1.5})", false, "max_tokens", "integer"},
      {R"({"model": "m", "prompt": "x", "temperature": -1})", false, "temperature", "temperature -1"},
      {R"({"model": "m", "prompt": "x", "temperature": 1e9})", false, "temperature", "[0, 100]"},
      {R"({"model": "m", "prompt": "x", "top_p": 2})", false, "top_p", "(0, 1]"},
      {R"({"model": "m", "prompt": "x", "presence_penalty": 3})", false, "presence_penalty", "[-2, 2]"},
      {R"({"model": "m", "prompt": "x", "n": 0})", false, "n", "'n'"},
      {R"({"model": "m", "prompt": "x", "n": 1000})", false, "n", "'n'"},
      {R"({"model": "m", "prompt": "x", "logprobs": 50})", false, "logprobs", "[0, 20]"},
      {R"({"model": "m", "prompt": "x", "logprobs": true})", false, "logprobs", "integer"},
      {R"({"model": "m", "prompt": "x", "stop": ["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17"]})",
       false, "stop", "17 stop strings"},
      {R"({"model": "m", "prompt": "x", "stop": [""]})", false, "stop", "empty"},
      {R"({"model": "m", "prompt": "x", "stop": 5})", false, "stop", "string"},
      {R"({"model": "m", "prompt": "x", "logit_bias": {"abc": 1}})", false, "logit_bias", "'abc'"},
      {R"({"model": "m", "prompt": "x", "logit_bias": {"5": 1000}})", false, "logit_bias", "[-100, 100]"},
      {R"({"model": "m", "prompt": "x", "seed": "s"})", false, "seed", "integer"},
      {R"({"model": "m", "prompt": "x", "stream_options": {"include_usage": true}})", false, "stream_options",
       "stream"},
      {R"({"model": "m", "prompt": "x", "suffix": "y"})", false, "suffix", "not supported"},
      {R"({"model": "m", "prompt": []})", false, "prompt", "non-empty"},
      {R"({"model": "m", "prompt": [1, "a"]})", false, "prompt", "prompt[1]"},
      {R"({"model": "m", "prompt": [-4]})", false, "prompt", "not a valid token id"},
      {R"({"model": "m", "prompt": {"a": 1}})", false, "prompt", "must be a string"},
      {R"({"model": "m"})", false, "prompt", "required"},
      {R"({"prompt": "x"})", false, "model", "'model' is required"},
      {R"({"model": 5, "prompt": "x"})", false, "model", "string"},
      {R"({"model": "m", "messages": []})", true, "messages", "at least one"},
      {R"({"model": "m", "messages": "hi"})", true, "messages", "array"},
      {R"({"model": "m", "messages": [{"role": "wizard", "content": "x"}]})", true, "messages[0].role", "wizard"},
      {R"({"model": "m", "messages": [{"content": "x"}]})", true, "messages[0].role", "string"},
      {R"({"model": "m", "messages": [{"role": "user"}]})", true, "messages[0].content", "required"},
      {R"({"model": "m", "messages": [{"role": "user", "content": 5}]})", true, "messages[0].content", "string"},
      {R"({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]})", true,
       "messages[0].content[0]", "text"},
      {R"({"model": "m", "messages": [{"role": "user", "content": "x"}], "top_logprobs": 2})", true,
       "top_logprobs", "logprobs"},
      {R"({"model": "m", "messages": [{"role": "user", "content": "x"}], "logprobs": true, "top_logprobs": 21})",
       true, "top_logprobs", "[0, 20]"},
      {"[1, 2]", false, "", "JSON object"},
      {"{\"model\": \"m\", \"prompt\": \"\xff\"}", false, "", "UTF-8"},
      {"{\"model\": ", false, "", "not valid JSON"},
      {"", false, "", "not valid JSON"},
  };
  for (const Case& c : cases) {
    ApiError e = MustFail(c.body, c.chat);
    EXPECT_EQ(e.param, c.param) << c.body << " -> " << e.message;
    EXPECT_NE(e.message.find(c.words), std::string::npos) << c.body << " -> " << e.message;
  }
}

// The param is the Status's field, never read from the message.
TEST(OpenAiRequest, ErrorParamIsTheStatusField) {
  ApiError e = ApiErrorFromStatus(InvalidArgumentError("temperature 5 is odd").WithField("top_p"));
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.param, "top_p");
  EXPECT_EQ(e.message, "temperature 5 is odd");
  EXPECT_EQ(ApiErrorFromStatus(InvalidArgumentError("temperature 5 is odd")).param, "");
  e = ApiErrorFromStatus(InternalError("n broke"));
  EXPECT_EQ(e.http_status, 500);
  EXPECT_EQ(e.type, "internal_error");
  EXPECT_EQ(e.param, "");
}

TEST(OpenAiRequest, TokenizeAndDetokenize) {
  TokenizeRequest t;
  ApiError e;
  ASSERT_TRUE(ParseTokenizeRequest(R"({"prompt": "abc", "add_special_tokens": false})", &t, &e));
  EXPECT_EQ(t.prompt, "abc");
  EXPECT_FALSE(t.add_special_tokens);
  EXPECT_FALSE(ParseTokenizeRequest(R"({"prompt": 3})", &t, &e));
  EXPECT_EQ(e.param, "prompt");
  EXPECT_FALSE(ParseTokenizeRequest(R"({})", &t, &e));
  DetokenizeRequest d;
  ASSERT_TRUE(ParseDetokenizeRequest(R"({"tokens": [1, 2]})", &d, &e));
  EXPECT_EQ(d.tokens, (std::vector<int32_t>{1, 2}));
  EXPECT_FALSE(ParseDetokenizeRequest(R"({"tokens": [1, 2.5]})", &d, &e));
  EXPECT_EQ(e.param, "tokens");
}

// Random events for n choices: the streamed chunks carry exactly the text,
// finish reasons and usage of the whole response.
TEST(OpenAiResponse, StreamedChunksAddUpToTheResponse) {
  std::mt19937 rng(std::random_device{}());
  for (bool chat : {false, true}) {
    CompletionRequest req = MustParse(chat ? R"({"model": "m", "messages": [{"role": "user", "content": "q"}],
        "n": 3, "stream": true, "stream_options": {"include_usage": true}, "logprobs": true, "top_logprobs": 2})"
                                           : R"({"model": "m", "prompt": ["p0", "p1"], "n": 3, "stream": true,
        "stream_options": {"include_usage": true}, "logprobs": 2})", chat);
    const size_t prompts = chat ? 1 : 2;
    const int64_t choices = static_cast<int64_t>(prompts) * 3;
    // Not "<" + to_string(id): GCC 12 -O3 warns there (-Wrestrict false positive).
    auto tok = [](int32_t id) { return fmt::format("<{}>", id); };
    OpenAiResponse streamed(req, "m", tok, std::vector<std::string>(prompts, "P"), std::vector<int64_t>(prompts, 4));
    OpenAiResponse whole(req, "m", tok, std::vector<std::string>(prompts, "P"), std::vector<int64_t>(prompts, 4));
    std::vector<std::string> want_text(choices);
    std::vector<int64_t> left(choices), count(choices, 0);
    for (auto& l : left) l = 1 + rng() % 6;
    std::string sse;
    int64_t remaining = choices;
    while (remaining > 0) {
      const int64_t i = rng() % choices;
      if (left[i] == 0) continue;
      TokenEvent e;
      e.token = static_cast<int32_t>(rng() % 100);
      e.text = rng() % 3 == 0 ? "" : std::string(1 + rng() % 3, static_cast<char>('a' + rng() % 26));
      e.logprobs = TokenLogprobs{-0.5f, {{e.token, -0.5f}, {7, -1.5f}}};
      want_text[i] += e.text;
      ++count[i];
      if (--left[i] == 0) {
        e.finished = true;
        e.finish_reason = rng() % 2 ? FinishReason::kStop : FinishReason::kLength;
        e.completion_tokens = count[i];
        --remaining;
      }
      sse += streamed.Chunk(i, e);
      whole.Add(i, e);
    }
    sse += streamed.End();
    Json body = Json::parse(whole.Body());
    std::vector<std::string> got_text(choices);
    std::vector<std::string> got_finish(choices);
    std::vector<int64_t> got_lp(choices, 0);
    Json usage;
    size_t pos = 0;
    bool done = false;
    while ((pos = sse.find("data: ", pos)) != std::string::npos) {
      const size_t end = sse.find("\n\n", pos);
      ASSERT_NE(end, std::string::npos);
      const std::string data = sse.substr(pos + 6, end - pos - 6);
      pos = end + 2;
      if (data == "[DONE]") {
        done = true;
        continue;
      }
      Json j = Json::parse(data);
      EXPECT_EQ(j["object"], chat ? "chat.completion.chunk" : "text_completion");
      if (j["choices"].empty()) usage = j["usage"];
      for (const Json& c : j["choices"]) {
        const int64_t i = c["index"].get<int64_t>();
        got_text[i] += chat ? c["delta"].value("content", "") : c["text"].get<std::string>();
        if (!c["finish_reason"].is_null()) got_finish[i] = c["finish_reason"];
        if (!c["logprobs"].is_null())
          got_lp[i] += chat ? c["logprobs"]["content"].size() : c["logprobs"]["tokens"].size();
      }
    }
    EXPECT_TRUE(done);
    int64_t total = 0;
    for (int64_t i = 0; i < choices; ++i) {
      const Json& c = body["choices"][i];
      const std::string text = chat ? c["message"]["content"].get<std::string>() : c["text"].get<std::string>();
      EXPECT_EQ(text, want_text[i]);
      EXPECT_EQ(got_text[i], want_text[i]);
      EXPECT_EQ(got_finish[i], c["finish_reason"]);
      EXPECT_EQ(got_lp[i], count[i]);
      EXPECT_EQ(static_cast<int64_t>(chat ? c["logprobs"]["content"].size() : c["logprobs"]["tokens"].size()),
                count[i]);
      total += count[i];
    }
    EXPECT_EQ(body["usage"]["completion_tokens"], total);
    EXPECT_EQ(body["usage"]["prompt_tokens"], 4 * static_cast<int64_t>(prompts));
    EXPECT_EQ(usage, body["usage"]);
  }
}

}  // namespace
}  // namespace seek
