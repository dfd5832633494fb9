#include "serve/grpc_convert.h"

#include <algorithm>

#include "tokenizer/unicode.h"

namespace seek {

grpc::Status ToGrpcStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return grpc::Status::OK;
    case StatusCode::kInvalidArgument:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, s.message());
    case StatusCode::kNotFound:
      return grpc::Status(grpc::StatusCode::NOT_FOUND, s.message());
    case StatusCode::kUnimplemented:
      return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, s.message());
    default:
      return grpc::Status(grpc::StatusCode::INTERNAL, s.message());
  }
}

StatusOr<std::vector<int32_t>> PromptIds(const InferenceService& service, const v1::GenerateRequest& r) {
  switch (r.prompt_case()) {
    case v1::GenerateRequest::kText:
      return service.Tokenize(r.text(), r.has_add_special_tokens() ? r.add_special_tokens() : true);
    case v1::GenerateRequest::kTokenIds:
      return std::vector<int32_t>(r.token_ids().ids().begin(), r.token_ids().ids().end());
    default:
      return std::vector<int32_t>{};
  }
}

SamplingParams ToSamplingParams(const v1::GenerateRequest& r) {
  SamplingParams p;
  if (r.has_temperature()) p.temperature = r.temperature();
  p.top_k = r.top_k();
  if (r.has_top_p()) p.top_p = r.top_p();
  p.min_p = r.min_p();
  if (r.has_repetition_penalty()) p.repetition_penalty = r.repetition_penalty();
  p.presence_penalty = r.presence_penalty();
  p.frequency_penalty = r.frequency_penalty();
  for (const auto& [id, bias] : r.logit_bias()) p.logit_bias.emplace_back(id, bias);
  // A map's order is unspecified; the sampler's result must not depend on it.
  std::sort(p.logit_bias.begin(), p.logit_bias.end());
  if (r.has_seed()) p.seed = r.seed();
  if (r.has_max_tokens()) p.max_tokens = r.max_tokens();
  p.stop_token_ids.assign(r.stop_token_ids().begin(), r.stop_token_ids().end());
  p.stop.assign(r.stop().begin(), r.stop().end());
  p.ignore_eos = r.ignore_eos();
  if (r.has_logprobs()) p.logprobs = r.logprobs();
  return p;
}

int64_t ChoiceCount(const v1::GenerateRequest& r) { return r.has_n() ? r.n() : 1; }

v1::FinishReason ToProto(FinishReason r) {
  switch (r) {
    case FinishReason::kNone:
      return v1::FINISH_REASON_UNSPECIFIED;
    case FinishReason::kLength:
      return v1::FINISH_REASON_LENGTH;
    case FinishReason::kStop:
      return v1::FINISH_REASON_STOP;
    case FinishReason::kCancelled:
      return v1::FINISH_REASON_CANCELLED;
    case FinishReason::kError:
      return v1::FINISH_REASON_ERROR;
  }
  return v1::FINISH_REASON_ERROR;
}

v1::GenerateResponse ToResponse(const ChoiceEvent& ce) {
  const TokenEvent& e = ce.event;
  v1::GenerateResponse r;
  r.set_index(static_cast<int32_t>(ce.index));
  if (e.token >= 0) r.set_token_id(e.token);
  // proto3 strings must be UTF-8: a byte-level model can emit any byte.
  r.set_text(RepairUtf8(e.text));
  if (e.logprobs && e.token >= 0) {
    v1::Logprobs* lp = r.mutable_logprobs();
    lp->set_logprob(e.logprobs->logprob);
    for (const auto& [id, logprob] : e.logprobs->top) {
      v1::TopLogprob* t = lp->add_top();
      t->set_token_id(id);
      t->set_logprob(logprob);
    }
  }
  if (e.finished) {
    r.set_finish_reason(ToProto(e.finish_reason));
    v1::Usage* u = r.mutable_usage();
    u->set_prompt_tokens(e.prompt_tokens);
    u->set_completion_tokens(e.completion_tokens);
    u->set_cached_tokens(e.cached_tokens);
  }
  return r;
}

}  // namespace seek
