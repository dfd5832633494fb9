#include "serve/openai_response.h"

#include <atomic>
#include <chrono>
#include <random>

#include <fmt/format.h>

namespace seek {
namespace {

using Json = nlohmann::ordered_json;

const char* FinishName(FinishReason r) {
  switch (r) {
    case FinishReason::kLength: return "length";
    case FinishReason::kStop: return "stop";
    case FinishReason::kCancelled: return "abort";  // vLLM's name; no OpenAI client sees it
    case FinishReason::kError: return "error";
    case FinishReason::kNone: break;
  }
  return "";
}

Json Bytes(const std::string& s) {
  Json b = Json::array();
  for (unsigned char c : s) b.push_back(static_cast<int>(c));
  return b;
}

}  // namespace

std::string NewResponseId(const char* prefix) {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng(std::random_device{}() ^
                                   static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  return fmt::format("{}{:016x}{:08x}", prefix, rng(), static_cast<uint32_t>(counter.fetch_add(1)));
}

OpenAiResponse::OpenAiResponse(const CompletionRequest& req, std::string model,
                               std::function<std::string(int32_t)> token_text,
                               std::vector<std::string> prompt_texts, std::vector<int64_t> prompt_tokens)
    : req_(req),
      model_(std::move(model)),
      id_(NewResponseId(req.chat ? "chatcmpl-" : "cmpl-")),
      created_(std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count()),
      token_text_(std::move(token_text)),
      prompt_texts_(std::move(prompt_texts)),
      prompt_tokens_(std::move(prompt_tokens)) {
  choices_.resize(prompt_tokens_.size() * static_cast<size_t>(req.n));
  for (size_t i = 0; i < choices_.size(); ++i) {
    Choice& c = choices_[i];
    if (!req.chat && req.echo) {
      c.text = prompt_texts_[i / req.n];
      c.text_offset = static_cast<int64_t>(c.text.size());
    }
    if (req.sampling.logprobs >= 0)
      c.logprobs = req.chat ? Json{{"content", Json::array()}}
                            : Json{{"tokens", Json::array()},
                                   {"token_logprobs", Json::array()},
                                   {"top_logprobs", Json::array()},
                                   {"text_offset", Json::array()}};
  }
  std::string env = Sse(Envelope(req.chat ? "chat.completion.chunk" : "text_completion"));
  env.resize(env.size() - 3);  // the "}\n\n" that closes it
  chunk_head_ = env + ",\"choices\":[";
  chunk_tail_ = req.include_usage ? "],\"usage\":null}\n\n" : "]}\n\n";
}

Json OpenAiResponse::Logprobs(const TokenEvent& e, Choice* c) {
  const bool as_ids = req_.return_tokens_as_token_ids;
  auto name = [&](int32_t id) { return as_ids ? fmt::format("token_id:{}", id) : token_text_(id); };
  const std::string tok = name(e.token);
  const TokenLogprobs& lp = *e.logprobs;
  if (req_.chat) {
    Json top = Json::array();
    for (const auto& [id, l] : lp.top) {
      const std::string t = name(id);
      top.push_back(Json{{"token", t}, {"logprob", l}, {"bytes", Bytes(t)}});
    }
    return Json{{"token", tok}, {"logprob", lp.logprob}, {"bytes", Bytes(tok)}, {"top_logprobs", top}};
  }
  Json top = Json::object();
  for (const auto& [id, l] : lp.top) top[name(id)] = l;
  Json one = {{"tokens", Json::array({tok})},
              {"token_logprobs", Json::array({lp.logprob})},
              {"top_logprobs", Json::array({top})},
              {"text_offset", Json::array({c->text_offset})}};
  c->text_offset += static_cast<int64_t>(tok.size());
  return one;
}

Json OpenAiResponse::Envelope(const char* object) const {
  return Json{{"id", id_}, {"object", object}, {"created", created_}, {"model", model_}};
}

std::string OpenAiResponse::Sse(const Json& j) {
  return "data: " + j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

Json OpenAiResponse::Usage() const {
  int64_t prompt = 0, completion = 0, cached = 0;
  for (int64_t p : prompt_tokens_) prompt += p;
  for (size_t i = 0; i < choices_.size(); ++i) {
    completion += choices_[i].completion_tokens;
    // The cached part of a prompt counts once too, as its first choice found it
    // (its other choices find the blocks the first one just filled).
    if (i % static_cast<size_t>(req_.n) == 0) cached += choices_[i].cached_tokens;
  }
  // Like OpenAI, a prompt is counted once however many choices it has.
  return Json{{"prompt_tokens", prompt},
              {"completion_tokens", completion},
              {"total_tokens", prompt + completion},
              {"prompt_tokens_details", Json{{"cached_tokens", cached}}}};
}

void OpenAiResponse::Add(int64_t index, const TokenEvent& e) {
  Choice& c = choices_[index];
  if (e.token >= 0 && e.logprobs && req_.sampling.logprobs >= 0) {
    Json lp = Logprobs(e, &c);
    if (req_.chat) {
      c.logprobs["content"].push_back(lp);
    } else {
      for (const char* k : {"tokens", "token_logprobs", "top_logprobs", "text_offset"})
        c.logprobs[k].push_back(lp[k][0]);
    }
  }
  c.text += e.text;
  if (e.finished) {
    c.finish_reason = FinishName(e.finish_reason);
    c.completion_tokens = e.completion_tokens;
    c.cached_tokens = e.cached_tokens;
  }
}

std::string OpenAiResponse::Body() const {
  Json out = Envelope(req_.chat ? "chat.completion" : "text_completion");
  Json choices = Json::array();
  for (size_t i = 0; i < choices_.size(); ++i) {
    const Choice& c = choices_[i];
    Json ch = {{"index", i}};
    if (req_.chat) ch["message"] = Json{{"role", "assistant"}, {"content", c.text}};
    else ch["text"] = c.text;
    ch["logprobs"] = c.logprobs.is_null() ? Json(nullptr) : c.logprobs;
    ch["finish_reason"] = c.finish_reason;
    choices.push_back(std::move(ch));
  }
  out["choices"] = std::move(choices);
  out["usage"] = Usage();
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string OpenAiResponse::Chunk(int64_t index, const TokenEvent& e) {
  Choice& c = choices_[index];
  std::string out;
  auto chunk = [&](const Json& choice) {
    out += chunk_head_;
    out += choice.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += chunk_tail_;
  };
  if (req_.chat && !c.started) {
    c.started = true;
    chunk(Json{{"index", index}, {"delta", Json{{"role", "assistant"}, {"content", ""}}},
               {"logprobs", nullptr}, {"finish_reason", nullptr}});
  }
  if (!req_.chat && req_.echo && !c.started) {
    c.started = true;
    chunk(Json{{"index", index}, {"text", c.text}, {"logprobs", nullptr}, {"finish_reason", nullptr}});
  }
  Json lp = nullptr;
  if (e.token >= 0 && e.logprobs && req_.sampling.logprobs >= 0) {
    lp = Logprobs(e, &c);
    if (req_.chat) lp = Json{{"content", Json::array({lp})}};
  }
  if (e.finished) {
    c.finish_reason = FinishName(e.finish_reason);
    c.completion_tokens = e.completion_tokens;
    c.cached_tokens = e.cached_tokens;
  }
  if (e.text.empty() && lp.is_null() && !e.finished) return out;
  Json ch = {{"index", index}};
  if (req_.chat) {
    ch["delta"] = e.text.empty() && e.finished ? Json::object() : Json{{"content", e.text}};
  } else {
    ch["text"] = e.text;
  }
  ch["logprobs"] = lp;
  ch["finish_reason"] = e.finished ? Json(c.finish_reason) : Json(nullptr);
  chunk(ch);
  return out;
}

std::string OpenAiResponse::End() {
  std::string out;
  if (req_.include_usage) {
    Json j = Envelope(req_.chat ? "chat.completion.chunk" : "text_completion");
    j["choices"] = Json::array();
    j["usage"] = Usage();
    out += Sse(j);
  }
  return out + "data: [DONE]\n\n";
}

}  // namespace seek
