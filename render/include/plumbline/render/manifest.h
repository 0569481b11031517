// Reading manifests from files and folders: YAML (kubectl's rules, see yaml_reader.h) or JSON,
// multi-document, `List` kinds expanded, empty documents skipped. Every error is one line that
// names the file and, where known, the line: "web.yaml:12: document has no kind".
// Stateless; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "plumbline/common/result.h"
#include "plumbline/hashing/value.h"

namespace plumbline::render {

// The API server refuses larger objects (etcd's request limit); so do we.
inline constexpr std::size_t kMaxObjectBytes = 3u << 20;
inline constexpr std::size_t kMaxFileBytes = 256u << 20;

struct Manifest {
  hashing::Value object;
  std::string file;  // as given, or relative to the source root
  int line = 0;      // 1-based line of the document (0 for JSON)
};

// Helm and Argo CD hooks (annotations helm.sh/hook, argocd.argoproj.io/hook) run at sync time
// and are not part of the desired state, as in Argo CD: renders and diffs leave them out.
bool IsHookResource(const hashing::Value& object);

// Parses manifest text. `label` names the input in errors.
Result<std::vector<Manifest>> ReadManifestText(std::string_view text, const std::string& label);
Result<std::vector<Manifest>> ReadManifestFile(const std::string& path, const std::string& label);
// A file, or a folder's *.yaml, *.yml and *.json files in name order (not recursive, like
// Argo CD's directory sources). `label_root` is stripped from file names in labels.
Result<std::vector<Manifest>> ReadManifestPath(const std::string& path);

}  // namespace plumbline::render
