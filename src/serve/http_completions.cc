// POST /v1/completions and /v1/chat/completions.
#include <chrono>
#include <memory>

#include <fmt/format.h>

#include "serve/http_handlers.h"
#include "serve/openai_response.h"

namespace seek::http {
namespace {

// What the content provider needs after the handler returned.
struct Call {
  CompletionRequest req;
  std::vector<std::shared_ptr<GenerationStream>> streams;  // one per prompt, n choices each
  std::unique_ptr<OpenAiResponse> response;
  std::vector<bool> done;  // per stream
  bool error_sent = false;

  void CancelAll() {
    for (auto& s : streams) s->Cancel();
  }
};

// Token ids of every prompt (the chat template rendered and tokenized for a
// chat), with their texts for echo; false after sending the error.
bool Prompts(InferenceService* s, const CompletionRequest& cr, std::vector<std::vector<int32_t>>* ids,
             std::vector<std::string>* texts, httplib::Response& res) {
  if (cr.chat) {
    StatusOr<std::string> text =
        s->RenderChat(cr.messages, cr.add_generation_prompt, cr.tools, cr.chat_template_kwargs);
    if (!text.ok()) {
      ApiError e = ApiErrorFromStatus(text.status());
      e.message = "the chat template failed on these messages: " + e.message;
      e.param = "messages";
      SendError(res, e);
      return false;
    }
    // The rendered template holds its special tokens already.
    StatusOr<std::vector<int32_t>> t = s->Tokenize(*text, /*add_special_tokens=*/false);
    if (!t.ok()) return SendError(res, ApiErrorFromStatus(t.status())), false;
    ids->push_back(std::move(*t));
    texts->push_back(std::move(*text));
    return true;
  }
  for (const PromptInput& p : cr.prompts) {
    if (p.is_ids) {
      ids->push_back(p.ids);
      texts->push_back(cr.echo ? s->Detokenize(p.ids).value_or("") : "");
    } else {
      StatusOr<std::vector<int32_t>> t = s->Tokenize(p.text, /*add_special_tokens=*/true);
      if (!t.ok()) return SendError(res, ApiErrorFromStatus(t.status())), false;
      ids->push_back(std::move(*t));
      texts->push_back(p.text);
    }
  }
  return true;
}

// Moves the events that arrived into the response; true once every stream ended.
bool Pump(Call* c, std::string* out, std::chrono::milliseconds wait) {
  bool all_done = true;
  const int64_t n = c->req.n;
  for (size_t p = 0; p < c->streams.size(); ++p) {
    if (c->done[p]) continue;
    std::vector<ChoiceEvent> events;
    // Block on the first unfinished stream only; poll the others.
    const bool more = c->streams[p]->Wait(&events, all_done ? wait : std::chrono::milliseconds(0));
    for (const ChoiceEvent& ce : events) {
      const int64_t index = static_cast<int64_t>(p) * n + ce.index;
      if (ce.event.finished && ce.event.finish_reason == FinishReason::kError && !c->error_sent) {
        ApiError e = ApiErrorFromStatus(ce.event.error);
        e.http_status = 500;
        if (c->req.stream) *out += "data: " + e.Body() + "\n\n";
        c->error_sent = true;
      }
      if (c->req.stream) *out += c->response->Chunk(index, ce.event);
      else c->response->Add(index, ce.event);
    }
    if (!more) c->done[p] = true;
    else all_done = false;
  }
  return all_done;
}

}  // namespace

void HandleCompletions(InferenceService* s, const httplib::Request& req, httplib::Response& res, bool chat) {
  auto c = std::make_shared<Call>();
  ApiError err;
  if (!ParseCompletionRequest(req.body, chat, &c->req, &err)) {
    s->metrics().CountRejected();
    return SendError(res, err);
  }
  CompletionRequest& cr = c->req;
  if (!CheckModel(s, cr.model, /*required=*/true, res)) return;
  std::vector<std::vector<int32_t>> ids;
  std::vector<std::string> texts;
  if (!Prompts(s, cr, &ids, &texts, res)) return;
  if (chat && !cr.max_tokens_given) {  // as vLLM: up to the end of the context
    const int64_t room = s->context_length() - static_cast<int64_t>(ids[0].size());
    if (room < 1) {
      SendError(res, ApiError{400, fmt::format("the conversation is {} tokens; the model's context is {} tokens, "
                                               "so there is no room for a reply", ids[0].size(), s->context_length()),
                              "invalid_request_error", "messages", ""});
      return;
    }
    cr.sampling.max_tokens = room;
  }
  std::vector<int64_t> prompt_tokens;
  for (auto& p : ids) {
    prompt_tokens.push_back(static_cast<int64_t>(p.size()));
    StatusOr<std::shared_ptr<GenerationStream>> st = s->Generate(p, cr.sampling, cr.n);
    if (!st.ok()) {
      c->CancelAll();
      ApiError e = ApiErrorFromStatus(st.status());
      if (cr.prompts.size() > 1) e.message = fmt::format("prompt[{}]: {}", c->streams.size(), e.message);
      return SendError(res, e);
    }
    c->streams.push_back(std::move(*st));
  }
  c->done.assign(c->streams.size(), false);
  c->response = std::make_unique<OpenAiResponse>(
      cr, s->model_name(),
      [s](int32_t id) { return s->Detokenize({id}).value_or(""); }, std::move(texts), std::move(prompt_tokens));

  const bool stream = cr.stream;
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      stream ? "text/event-stream" : "application/json",
      [c, stream](size_t, httplib::DataSink& sink) {
        // One call runs the whole request; the connection is checked between
        // events, at least every 20 ms.
        for (;;) {
          std::string out;
          const bool finished = Pump(c.get(), &out, std::chrono::milliseconds(20));
          if (!sink.is_writable()) {
            c->CancelAll();
            return false;
          }
          if (stream && !out.empty() && !sink.write(out.data(), out.size())) {
            c->CancelAll();
            return false;
          }
          if (finished) break;
        }
        const std::string tail = stream ? c->response->End() : c->response->Body();
        if (!sink.write(tail.data(), tail.size())) return false;
        sink.done();
        return true;
      },
      [c](bool) { c->CancelAll(); });  // whatever happened, nothing keeps running
}

}  // namespace seek::http
