// serve/grpc_convert.h — between the seek.v1 messages
// (proto/seek/v1/inference.proto) and the service's types: a request's
// prompt and sampling fields, one engine event as a response message, a
// Status as a gRPC status. Mapping only: the values are checked by
// SamplingParams::Validate and InferenceService's admission, once, whichever
// front end a request came through.
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <vector>

#include <grpcpp/support/status.h>

#include "core/status.h"
#include "infer/sampler.h"
#include "seek/v1/inference.pb.h"
#include "serve/service.h"

namespace seek {

// INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED; any other error is INTERNAL.
// The message is the Status's, unchanged.
grpc::Status ToGrpcStatus(const Status& s);

// The prompt ids: token_ids as given, or text through the service's
// tokenizer. An unset prompt gives no ids (the service then names it).
StatusOr<std::vector<int32_t>> PromptIds(const InferenceService& service, const v1::GenerateRequest& r);

// Unset optional fields keep SamplingParams' defaults.
SamplingParams ToSamplingParams(const v1::GenerateRequest& r);

// Choices requested (unset: 1).
int64_t ChoiceCount(const v1::GenerateRequest& r);

// One event of one choice; ill-formed UTF-8 in its text becomes U+FFFD
// (the token id says exactly what was generated).
v1::GenerateResponse ToResponse(const ChoiceEvent& e);

v1::FinishReason ToProto(FinishReason r);

}  // namespace seek
