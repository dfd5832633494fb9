#include "serve/openai_request.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace seek {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kMaxPrompts = 256;       // prompts in one /v1/completions call
constexpr size_t kMaxMessages = 4096;     // messages in one chat
constexpr int64_t kMaxTokensCap = 1 << 24;

// The first error wins; every reader returns false once one was set.
struct Reader {
  const Json& j;
  ApiError* error;

  bool Fail(const std::string& param, std::string message) {
    error->http_status = 400;
    error->type = "invalid_request_error";
    error->param = param;
    error->message = std::move(message);
    return false;
  }
  bool Has(const char* key) const { return j.contains(key) && !j[key].is_null(); }
  static std::string TypeName(const Json& v) {
    if (v.is_number_integer()) return "integer";
    if (v.is_number_float()) return "number";
    return v.type_name();
  }

  bool String(const char* key, std::string* out) {
    if (!Has(key)) return true;
    if (!j[key].is_string()) return Fail(key, fmt::format("'{}' must be a string, got {}", key, TypeName(j[key])));
    *out = j[key].get<std::string>();
    return true;
  }
  bool Bool(const char* key, bool* out) {
    if (!Has(key)) return true;
    if (!j[key].is_boolean()) return Fail(key, fmt::format("'{}' must be a boolean, got {}", key, TypeName(j[key])));
    *out = j[key].get<bool>();
    return true;
  }
  bool Number(const char* key, double* out) {
    if (!Has(key)) return true;
    if (!j[key].is_number()) return Fail(key, fmt::format("'{}' must be a number, got {}", key, TypeName(j[key])));
    const double v = j[key].get<double>();
    if (!std::isfinite(v)) return Fail(key, fmt::format("'{}' must be finite", key));
    *out = v;
    return true;
  }
  // Integers; a float with an integral value (3.0) is accepted as JSON allows.
  bool Int(const char* key, int64_t lo, int64_t hi, int64_t* out, bool* given = nullptr) {
    if (!Has(key)) return true;
    const Json& v = j[key];
    if (!v.is_number()) return Fail(key, fmt::format("'{}' must be an integer, got {}", key, TypeName(v)));
    double d = v.get<double>();
    if (!v.is_number_float()) d = v.is_number_unsigned() ? static_cast<double>(v.get<uint64_t>())
                                                         : static_cast<double>(v.get<int64_t>());
    if (d != std::floor(d)) return Fail(key, fmt::format("'{}' must be an integer, got {}", key, d));
    if (d < static_cast<double>(lo) || d > static_cast<double>(hi))
      return Fail(key, fmt::format("'{}' is {} but must be in [{}, {}]", key, v.dump(), lo, hi));
    *out = static_cast<int64_t>(d);
    if (given) *given = true;
    return true;
  }
};

bool TokenIds(const Json& v, const std::string& param, std::vector<int32_t>* out, Reader* r) {
  out->clear();
  for (size_t i = 0; i < v.size(); ++i) {
    const Json& x = v[i];
    if (!x.is_number_integer())
      return r->Fail(param, fmt::format("'{}[{}]' must be a token id (integer), got {}", param, i, Reader::TypeName(x)));
    if (x.is_number_unsigned() ? x.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())
                               : (x.get<int64_t>() < 0 || x.get<int64_t>() > std::numeric_limits<int32_t>::max()))
      return r->Fail(param, fmt::format("'{}[{}]' = {} is not a valid token id", param, i, x.dump()));
    out->push_back(static_cast<int32_t>(x.get<int64_t>()));
  }
  return true;
}

bool ParsePrompt(Reader* r, std::vector<PromptInput>* out) {
  if (!r->Has("prompt")) return r->Fail("prompt", "'prompt' is required");
  const Json& p = r->j["prompt"];
  if (p.is_string()) {
    out->push_back(PromptInput{p.get<std::string>(), {}, false});
    return true;
  }
  if (!p.is_array() || p.empty())
    return r->Fail("prompt", "'prompt' must be a string, an array of strings, an array of token ids or an "
                             "array of token id arrays (non-empty)");
  if (p.size() > kMaxPrompts)
    return r->Fail("prompt", fmt::format("{} prompts given; at most {} per request", p.size(), kMaxPrompts));
  if (p[0].is_number()) {
    PromptInput in;
    in.is_ids = true;
    if (!TokenIds(p, "prompt", &in.ids, r)) return false;
    out->push_back(std::move(in));
    return true;
  }
  for (size_t i = 0; i < p.size(); ++i) {
    const std::string param = fmt::format("prompt[{}]", i);
    if (p[i].is_string()) {
      out->push_back(PromptInput{p[i].get<std::string>(), {}, false});
    } else if (p[i].is_array() && !p[i].empty()) {
      PromptInput in;
      in.is_ids = true;
      if (!TokenIds(p[i], param, &in.ids, r)) return false;
      out->push_back(std::move(in));
    } else {
      return r->Fail("prompt", fmt::format("'{}' must be a string or a non-empty array of token ids, got {}",
                                           param, Reader::TypeName(p[i])));
    }
  }
  return true;
}

// messages: [{role, content: string | [{type: "text", text}] | null (assistant with tool_calls)}].
// Array content is flattened to a string, as the chat templates expect.
bool ParseMessages(Reader* r, Json* out) {
  if (!r->Has("messages")) return r->Fail("messages", "'messages' is required");
  const Json& m = r->j["messages"];
  if (!m.is_array()) return r->Fail("messages", fmt::format("'messages' must be an array, got {}", Reader::TypeName(m)));
  if (m.empty()) return r->Fail("messages", "'messages' must hold at least one message");
  if (m.size() > kMaxMessages)
    return r->Fail("messages", fmt::format("{} messages given; at most {}", m.size(), kMaxMessages));
  *out = Json::array();
  for (size_t i = 0; i < m.size(); ++i) {
    const std::string at = fmt::format("messages[{}]", i);
    if (!m[i].is_object()) return r->Fail(at, fmt::format("'{}' must be an object", at));
    Json msg = m[i];
    if (!msg.contains("role") || !msg["role"].is_string())
      return r->Fail(at + ".role", fmt::format("'{}.role' must be a string", at));
    const std::string role = msg["role"].get<std::string>();
    if (role != "system" && role != "user" && role != "assistant" && role != "tool" && role != "developer")
      return r->Fail(at + ".role", fmt::format("'{}.role' is '{}'; expected system, developer, user, assistant "
                                               "or tool", at, role));
    Json& c = msg["content"];  // inserts null when absent
    if (c.is_array()) {
      std::string text;
      for (size_t k = 0; k < c.size(); ++k) {
        const Json& part = c[k];
        const std::string pat = fmt::format("{}.content[{}]", at, k);
        if (!part.is_object() || !part.contains("type") || part["type"] != "text" || !part.contains("text") ||
            !part["text"].is_string())
          return r->Fail(pat, fmt::format("'{}' must be {{\"type\": \"text\", \"text\": string}} (this model "
                                          "reads text only)", pat));
        text += part["text"].get<std::string>();
      }
      c = text;
    } else if (c.is_null()) {
      if (role != "assistant")
        return r->Fail(at + ".content", fmt::format("'{}.content' is required for role '{}'", at, role));
      c = "";
    } else if (!c.is_string()) {
      return r->Fail(at + ".content", fmt::format("'{}.content' must be a string or an array of text parts, got {}",
                                                  at, Reader::TypeName(c)));
    }
    out->push_back(std::move(msg));
  }
  return true;
}

bool ParseStop(Reader* r, std::vector<std::string>* out) {
  if (!r->Has("stop")) return true;
  const Json& s = r->j["stop"];
  if (s.is_string()) {
    out->push_back(s.get<std::string>());
  } else if (s.is_array()) {
    for (size_t i = 0; i < s.size(); ++i) {
      if (!s[i].is_string())
        return r->Fail("stop", fmt::format("'stop[{}]' must be a string, got {}", i, Reader::TypeName(s[i])));
      out->push_back(s[i].get<std::string>());
    }
  } else {
    return r->Fail("stop", fmt::format("'stop' must be a string or an array of strings, got {}", Reader::TypeName(s)));
  }
  if (out->size() > 16) return r->Fail("stop", fmt::format("{} stop strings given; at most 16 are allowed", out->size()));
  for (const std::string& x : *out)
    if (x.empty()) return r->Fail("stop", "stop strings must not be empty");
  return true;
}

bool ParseLogitBias(Reader* r, std::vector<std::pair<int32_t, float>>* out) {
  if (!r->Has("logit_bias")) return true;
  const Json& b = r->j["logit_bias"];
  if (!b.is_object())
    return r->Fail("logit_bias", fmt::format("'logit_bias' must be an object of token id -> bias, got {}",
                                             Reader::TypeName(b)));
  if (b.size() > 1024) return r->Fail("logit_bias", fmt::format("{} logit_bias entries; at most 1024", b.size()));
  for (const auto& [key, v] : b.items()) {
    size_t used = 0;
    long long id = -1;
    try {
      id = std::stoll(key, &used);
    } catch (...) {
      used = 0;
    }
    if (used != key.size() || id < 0 || id > std::numeric_limits<int32_t>::max())
      return r->Fail("logit_bias", fmt::format("logit_bias key '{}' is not a token id", key));
    if (!v.is_number() || std::abs(v.get<double>()) > 100)
      return r->Fail("logit_bias", fmt::format("logit_bias['{}'] must be a number in [-100, 100], got {}", key, v.dump()));
    out->emplace_back(static_cast<int32_t>(id), v.get<float>());
  }
  return true;
}

bool ParseSampling(Reader* r, bool chat, CompletionRequest* out) {
  SamplingParams& s = out->sampling;
  s.max_tokens = 16;
  bool given = false;
  if (!r->Int("max_tokens", 1, kMaxTokensCap, &s.max_tokens, &given)) return false;
  if (chat && !r->Int("max_completion_tokens", 1, kMaxTokensCap, &s.max_tokens, &given)) return false;
  out->max_tokens_given = given;
  if (!r->Number("temperature", &s.temperature) || !r->Number("top_p", &s.top_p) ||
      !r->Number("min_p", &s.min_p) || !r->Number("repetition_penalty", &s.repetition_penalty) ||
      !r->Number("presence_penalty", &s.presence_penalty) ||
      !r->Number("frequency_penalty", &s.frequency_penalty))
    return false;
  // top_k: vLLM's -1 means off as 0 does.
  if (!r->Int("top_k", -1, std::numeric_limits<int32_t>::max(), &s.top_k)) return false;
  if (s.top_k < 0) s.top_k = 0;
  if (r->Has("seed")) {
    const Json& v = r->j["seed"];
    if (!v.is_number_integer()) return r->Fail("seed", fmt::format("'seed' must be an integer, got {}", Reader::TypeName(v)));
    s.seed = v.is_number_unsigned() ? v.get<uint64_t>() : static_cast<uint64_t>(v.get<int64_t>());
  }
  if (!r->Bool("ignore_eos", &s.ignore_eos) || !ParseStop(r, &s.stop) || !ParseLogitBias(r, &s.logit_bias))
    return false;
  if (r->Has("stop_token_ids")) {
    if (!r->j["stop_token_ids"].is_array())
      return r->Fail("stop_token_ids", "'stop_token_ids' must be an array of token ids");
    if (!TokenIds(r->j["stop_token_ids"], "stop_token_ids", &s.stop_token_ids, r)) return false;
  }
  s.logprobs = -1;
  if (chat) {
    bool lp = false;
    int64_t top = 0;
    if (!r->Bool("logprobs", &lp) || !r->Int("top_logprobs", 0, 20, &top)) return false;
    if (r->Has("top_logprobs") && !lp)
      return r->Fail("top_logprobs", "'top_logprobs' needs 'logprobs': true");
    if (lp) s.logprobs = top;
  } else {
    if (r->Has("logprobs") && r->j["logprobs"].is_boolean())
      return r->Fail("logprobs", "'logprobs' of /v1/completions is an integer (the number of top logprobs), "
                                 "not a boolean");
    if (!r->Int("logprobs", 0, 20, &s.logprobs)) return false;
  }
  return true;
}

bool ParseJson(std::string_view body, Json* j, ApiError* error) {
  try {
    *j = Json::parse(body.begin(), body.end());
  } catch (const nlohmann::json::exception& e) {
    error->http_status = 400;
    error->param.clear();
    error->message = fmt::format("the request body is not valid JSON: {}", e.what());
    return false;
  }
  if (!j->is_object()) {
    error->http_status = 400;
    error->message = fmt::format("the request body must be a JSON object, got {}", Reader::TypeName(*j));
    return false;
  }
  return true;
}

}  // namespace

std::string ApiError::Body() const {
  Json e = {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}};
  if (!param.empty()) e["param"] = param;
  if (!code.empty()) e["code"] = code;
  return Json{{"error", e}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ApiError ApiErrorFromStatus(const Status& s) {
  ApiError e;
  e.message = s.message();
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kUnimplemented:
      e.http_status = 400;
      break;
    default:
      e.http_status = 500;
      e.type = "internal_error";
  }
  e.param = s.field();
  return e;
}

bool ParseCompletionRequest(std::string_view body, bool chat, CompletionRequest* out, ApiError* error) {
  Json j;
  if (!ParseJson(body, &j, error)) return false;
  Reader r{j, error};
  out->chat = chat;
  if (!r.Has("model")) return r.Fail("model", "'model' is required");
  if (!r.String("model", &out->model)) return false;
  if (chat) {
    if (!ParseMessages(&r, &out->messages)) return false;
    if (!r.Bool("add_generation_prompt", &out->add_generation_prompt)) return false;
    if (r.Has("tools")) {
      if (!j["tools"].is_array()) return r.Fail("tools", "'tools' must be an array");
      out->tools = j["tools"];
    }
    if (r.Has("chat_template_kwargs")) {
      if (!j["chat_template_kwargs"].is_object())
        return r.Fail("chat_template_kwargs", "'chat_template_kwargs' must be an object");
      out->chat_template_kwargs = j["chat_template_kwargs"];
    }
  } else {
    if (!ParsePrompt(&r, &out->prompts)) return false;
    if (!r.Bool("echo", &out->echo)) return false;
    if (r.Has("suffix")) return r.Fail("suffix", "'suffix' (insertion) is not supported");
    int64_t best_of = 1;
    if (!r.Int("best_of", 1, 1, &best_of)) return false;
  }
  if (!r.Int("n", 1, 16, &out->n)) return false;
  if (!r.Bool("stream", &out->stream)) return false;
  if (r.Has("stream_options")) {
    const Json& so = j["stream_options"];
    if (!so.is_object()) return r.Fail("stream_options", "'stream_options' must be an object");
    if (!out->stream) return r.Fail("stream_options", "'stream_options' is only allowed with 'stream': true");
    Reader sr{so, error};
    if (!sr.Bool("include_usage", &out->include_usage)) return false;
  }
  if (!r.Bool("return_tokens_as_token_ids", &out->return_tokens_as_token_ids)) return false;
  if (!ParseSampling(&r, chat, out)) return false;
  // Range checks of SamplingParams that need no model (vocabulary size = max).
  Status st = out->sampling.Validate(std::numeric_limits<int32_t>::max());
  if (!st.ok()) {
    *error = ApiErrorFromStatus(st);
    return false;
  }
  return true;
}

bool ParseTokenizeRequest(std::string_view body, TokenizeRequest* out, ApiError* error) {
  Json j;
  if (!ParseJson(body, &j, error)) return false;
  Reader r{j, error};
  if (!r.String("model", &out->model) || !r.Bool("add_special_tokens", &out->add_special_tokens) ||
      !r.Bool("add_generation_prompt", &out->add_generation_prompt))
    return false;
  if (r.Has("messages")) {
    if (r.Has("prompt")) return r.Fail("prompt", "give either 'prompt' or 'messages', not both");
    return ParseMessages(&r, &out->messages);
  }
  if (!r.Has("prompt")) return r.Fail("prompt", "'prompt' (a string) or 'messages' is required");
  return r.String("prompt", &out->prompt);
}

bool ParseDetokenizeRequest(std::string_view body, DetokenizeRequest* out, ApiError* error) {
  Json j;
  if (!ParseJson(body, &j, error)) return false;
  Reader r{j, error};
  if (!r.String("model", &out->model)) return false;
  if (!r.Has("tokens") || !j["tokens"].is_array()) return r.Fail("tokens", "'tokens' (an array of token ids) is required");
  return TokenIds(j["tokens"], "tokens", &out->tokens, &r);
}

}  // namespace seek
