#include "plumbline/render/targets.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>
#include <utility>

#include "plumbline/hashing/json.h"

namespace plumbline::render {

namespace fs = std::filesystem;

Result<std::optional<hashing::Value>> ReadBundleDocument(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return std::optional<hashing::Value>();  // folders, and errors reported by the reader
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kIo, path + ": cannot open for reading");
  }
  // A bundle starts with its apiVersion; look before reading the whole file.
  char head[64] = {};
  in.read(head, sizeof(head) - 1);
  if (std::string_view(head).find("\"apiVersion\":\"plumbline.dev/") == std::string_view::npos) {
    return std::optional<hashing::Value>();
  }
  in.seekg(0);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto doc = hashing::ParseJson(text);
  if (!doc) {
    return MakeError(ErrorCode::kInvalidArgument, path + ": " + doc.error().message);
  }
  if (!IsBundleDocument(*doc)) {
    return std::optional<hashing::Value>();
  }
  return std::optional<hashing::Value>(std::move(*doc));
}

Result<Bundle> LoadTargets(const std::string& path, const RenderOptions& options,
                           const hashing::Policy& policy, const hashing::SecretHasher& hasher,
                           const std::string& key_id) {
  auto doc = ReadBundleDocument(path);
  if (!doc) {
    return doc.error();
  }
  if (doc->has_value()) {
    auto bundle = ParseBundle(**doc, policy);
    if (!bundle) {
      return MakeError(bundle.error().code, path + ": " + bundle.error().message);
    }
    if (!bundle->mask_key_id.empty() && bundle->mask_key_id != key_id) {
      return MakeError(ErrorCode::kInvalidArgument,
                       path + ": the bundle's secrets were masked with HMAC key " +
                           bundle->mask_key_id + ", not with this key (" + key_id +
                           "); pass the right --hmac-key-file");
    }
    return bundle;
  }
  auto rendered = RenderSource(path, options);
  if (!rendered) {
    return rendered.error();
  }
  std::vector<RenderedSource> sources;
  sources.push_back(std::move(*rendered));
  return BuildBundle(sources, options.namespace_, policy, hasher, key_id);
}

}  // namespace plumbline::render
