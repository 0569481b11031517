// Loading the policy file named by --policy (YAML or JSON); an empty path gives the defaults.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

#include "plumbline/common/result.h"
#include "plumbline/hashing/policy.h"
#include "plumbline/render/manifest.h"
#include "plumbline/render/yaml_reader.h"

namespace plumbline::cli {

inline Result<hashing::Policy> LoadPolicyFile(const std::string& path) {
  if (path.empty()) {
    return hashing::ParsePolicy(hashing::Value());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kIo, path + ": cannot read the policy file");
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto docs = render::ParseYamlStream(text);
  if (!docs) {
    return MakeError(docs.error().code, path + ": " + docs.error().message);
  }
  if (docs->size() > 1) {
    return MakeError(ErrorCode::kInvalidArgument, path + ": expected one YAML document");
  }
  auto policy = hashing::ParsePolicy(docs->empty() ? hashing::Value() : (*docs)[0].value);
  if (!policy) {
    return MakeError(policy.error().code, path + ": " + policy.error().message);
  }
  return policy;
}

}  // namespace plumbline::cli
