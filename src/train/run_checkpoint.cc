#include "train/run_checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "io/file_util.h"
#include "io/safetensors.h"
#include "model/checkpoint.h"
#include "tokenizer/bytes.h"

namespace seek {
namespace fs = std::filesystem;
namespace {

// Fault injection for the crash-safety tests: SEEK_TEST_CRASH_POINT=<name>
// kills the process (no cleanup, like SIGKILL) when the save reaches <name>.
void CrashPoint(const char* name) {
  const char* want = std::getenv("SEEK_TEST_CRASH_POINT");
  if (want != nullptr && std::strcmp(want, name) == 0) _exit(137);
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return IoError("cannot open directory {}: {}", dir, std::strerror(errno));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0 && errno != EINVAL) return IoError("fsync {}: {}", dir, std::strerror(errno));
  return Status::Ok();
}

std::vector<std::pair<int64_t, std::string>> ListCheckpoints(const std::string& ckpt_root) {
  std::vector<std::pair<int64_t, std::string>> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(ckpt_root, ec)) {
    const std::string name = e.path().filename().string();
    if (!e.is_directory() || name.rfind("step_", 0) != 0) continue;
    char* end = nullptr;
    long long step = std::strtoll(name.c_str() + 5, &end, 10);
    if (end && *end == '\0') out.emplace_back(step, e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

StatusOr<std::string> SaveCheckpoint(const std::string& run_dir, const Transformer& model,
                                     const AdamWOptimizer& optimizer, const TrainerState& state,
                                     int64_t keep, const TokenizerBundle* tokenizer) {
  const std::string root = run_dir + "/checkpoints";
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return IoError("cannot create {}: {}", root, ec.message());
  // Leftovers of a save that was killed.
  for (const auto& e : fs::directory_iterator(root, ec))
    if (e.path().filename().string().rfind(".tmp-", 0) == 0) fs::remove_all(e.path(), ec);

  const std::string name = fmt::format("step_{:08d}", state.step);
  const std::string final_dir = root + "/" + name;
  const std::string tmp = root + "/.tmp-" + name;
  fs::create_directories(tmp, ec);
  if (ec) return IoError("cannot create {}: {}", tmp, ec.message());

  Status s = SaveModelDir(model, tmp);
  if (!s.ok()) return s.WithContext("saving checkpoint " + final_dir);
  CrashPoint("after_weights");
  nlohmann::json gen = {{"_from_model_config", true}};
  const ModelConfig& mc = model.config();
  if (mc.extra.value(ByteTokenizer::kConfigKey, "") == ByteTokenizer::kConfigValue) {
    gen["eos_token_id"] = ByteTokenizer::kEndOfText;
  }
  if (tokenizer != nullptr) {
    gen["eos_token_id"] = tokenizer->eot_id;
    s = SaveTokenizerFiles(*tokenizer, tmp);
    if (!s.ok()) return s.WithContext("saving checkpoint " + final_dir);
  }
  RETURN_IF_ERROR(WriteFileAtomic(tmp + "/generation_config.json", gen.dump(2) + "\n"));

  const int64_t n = optimizer.size();
  TensorView m(const_cast<float*>(optimizer.m()), DType::kF32, Shape{n});
  TensorView v(const_cast<float*>(optimizer.v()), DType::kF32, Shape{n});
  nlohmann::json meta = {{"step", state.step}, {"tokens_seen", state.tokens_seen},
                         {"optimizer_step", optimizer.step()}, {"loader", state.loader},
                         {"config", state.config}};
  if (!state.loss_scaler.is_null()) meta["loss_scaler"] = state.loss_scaler;
  s = WriteSafetensors(tmp + "/trainer_state.safetensors",
                       {{"optimizer.m", m, DType::kF32}, {"optimizer.v", v, DType::kF32}},
                       {{"trainer", meta.dump()}});
  if (!s.ok()) return s.WithContext("saving checkpoint " + final_dir);
  CrashPoint("before_rename");
  RETURN_IF_ERROR(FsyncDir(tmp));
  if (fs::exists(final_dir)) fs::remove_all(final_dir, ec);  // re-save of the same step
  fs::rename(tmp, final_dir, ec);
  if (ec) return IoError("cannot rename {} to {}: {}", tmp, final_dir, ec.message());
  RETURN_IF_ERROR(FsyncDir(root));
  CrashPoint("after_rename");

  auto all = ListCheckpoints(root);
  for (size_t i = 0; i + keep < all.size(); ++i) fs::remove_all(all[i].second, ec);
  return final_dir;
}

StatusOr<std::string> LatestCheckpoint(const std::string& run_dir) {
  auto all = ListCheckpoints(run_dir + "/checkpoints");
  if (all.empty())
    return NotFoundError("{}/checkpoints holds no checkpoint to resume from (run without "
                         "--resume to start fresh)",
                         run_dir);
  return all.back().second;
}

StatusOr<TrainerState> LoadCheckpoint(const std::string& dir, Transformer* model,
                                      AdamWOptimizer* optimizer) {
  ASSIGN_OR_RETURN(ModelConfig saved, LoadModelConfig(dir + "/config.json"));
  const nlohmann::json want = ModelConfigToJson(model->config());
  const nlohmann::json got = ModelConfigToJson(saved);
  for (auto it = want.begin(); it != want.end(); ++it) {
    if (!got.contains(it.key()) || got[it.key()] != it.value())
      return InvalidArgumentError("{}/config.json: field '{}' is {} but this run's model has {}: "
                                  "the resume directory belongs to a different model",
                                  dir, it.key(), got.value(it.key(), nlohmann::json()).dump(),
                                  it.value().dump());
  }
  ASSIGN_OR_RETURN(SafetensorsFile weights, SafetensorsFile::Open(dir + "/model.safetensors"));
  RETURN_IF_ERROR(LoadWeights(weights, model));
  const std::string state_path = dir + "/trainer_state.safetensors";
  ASSIGN_OR_RETURN(SafetensorsFile st, SafetensorsFile::Open(state_path));
  RETURN_IF_ERROR(st.ReadF32("optimizer.m", optimizer->m(), optimizer->size()));
  RETURN_IF_ERROR(st.ReadF32("optimizer.v", optimizer->v(), optimizer->size()));
  auto meta_it = st.metadata().find("trainer");
  if (meta_it == st.metadata().end())
    return DataLossError("{}: metadata has no 'trainer' entry", state_path);
  nlohmann::json meta = nlohmann::json::parse(meta_it->second, nullptr, false);
  if (meta.is_discarded() || !meta.is_object() || !meta.contains("step") ||
      !meta["step"].is_number_integer() || !meta.contains("optimizer_step") ||
      !meta.contains("tokens_seen") || !meta.contains("loader"))
    return DataLossError("{}: 'trainer' metadata is malformed", state_path);
  TrainerState state;
  state.step = meta["step"].get<int64_t>();
  state.tokens_seen = meta["tokens_seen"].get<int64_t>();
  state.loader = meta["loader"];
  state.config = meta.value("config", nlohmann::json());
  if (meta.contains("loss_scaler")) {
    const nlohmann::json& l = meta["loss_scaler"];
    if (!l.is_object() || !l.contains("scale") || !l["scale"].is_number() || !l.contains("growth_tracker") ||
        !l["growth_tracker"].is_number_integer() || !l.contains("hysteresis_tracker") ||
        !l["hysteresis_tracker"].is_number_integer())
      return DataLossError("{}: 'trainer' metadata has a malformed loss_scaler", state_path);
    state.loss_scaler = l;
  }
  optimizer->set_step(meta["optimizer_step"].get<int64_t>());
  return state;
}

}  // namespace seek
