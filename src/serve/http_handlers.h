// serve/http_handlers.h — the route handlers of HttpServer (internal).
#pragma once

#include <httplib.h>

#include "serve/openai_request.h"
#include "serve/service.h"

namespace seek::http {

// Writes OpenAI's error body with its status.
void SendError(httplib::Response& res, const ApiError& e);
// 404 model_not_found unless `model` is empty (allowed) or the served one.
bool CheckModel(InferenceService* s, const std::string& model, bool required, httplib::Response& res);

// POST /v1/completions (chat = false) and /v1/chat/completions (chat = true).
void HandleCompletions(InferenceService* s, const httplib::Request& req, httplib::Response& res, bool chat);

}  // namespace seek::http
