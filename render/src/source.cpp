#include "plumbline/render/source.h"

#include <cstdlib>
#include <filesystem>

#include <unistd.h>

#include "plumbline/render/process.h"

namespace plumbline::render {
namespace fs = std::filesystem;

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

bool HasFile(const fs::path& dir, std::initializer_list<const char*> names) {
  std::error_code ec;
  for (const char* n : names) {
    if (fs::is_regular_file(dir / n, ec)) {
      return true;
    }
  }
  return false;
}

// Renders a folder or file that is on disk (a checkout, or an archive extracted from Git).
Result<std::vector<Manifest>> RenderLocal(const fs::path& path, const std::string& label_root,
                                          const RenderOptions& options, std::string& renderer) {
  std::error_code ec;
  if (fs::is_directory(path, ec) &&
      HasFile(path, {"kustomization.yaml", "kustomization.yml", "Kustomization"})) {
    renderer = "kustomize";
    if (FindProgram("kubectl").empty()) {
      return MakeError(ErrorCode::kUnavailable,
                       label_root + ": a Kustomize folder needs kubectl in PATH");
    }
    auto out = RunChecked({"kubectl", "kustomize", path.string()});
    if (!out) {
      return MakeError(out.error().code, label_root + ": " + out.error().message);
    }
    return ReadManifestText(*out, label_root + " (kustomize output)");
  }
  if (fs::is_directory(path, ec) && HasFile(path, {"Chart.yaml"})) {
    renderer = "helm";
    const char* env_helm = std::getenv("PLUMBLINE_HELM");
    const std::string helm = env_helm != nullptr && *env_helm != '\0' ? env_helm : "helm";
    if (FindProgram(helm).empty()) {
      return MakeError(ErrorCode::kUnavailable,
                       label_root +
                           ": a Helm chart needs the helm binary: install helm, put it in "
                           "PATH or set PLUMBLINE_HELM");
    }
    std::vector<std::string> argv = {helm, "template", path.filename().string(), path.string()};
    if (!options.namespace_.empty()) {
      argv.insert(argv.end(), {"--namespace", options.namespace_});
    }
    auto out = RunChecked(argv);
    if (!out) {
      return MakeError(out.error().code, label_root + ": " + out.error().message);
    }
    return ReadManifestText(*out, label_root + " (helm template output)");
  }
  renderer = "plain";
  auto manifests = ReadManifestPath(path.string());
  if (!manifests) {
    return manifests.error();
  }
  // Labels relative to the source root keep bundles independent of where the checkout is.
  const std::string prefix = path.string();
  for (auto& m : *manifests) {
    if (m.file.rfind(prefix, 0) == 0 && fs::is_directory(path, ec)) {
      m.file = label_root + m.file.substr(prefix.size());
    } else {
      m.file = label_root;
    }
  }
  return manifests;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "plumbline-render-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) {
      path_ = tmpl;
    }
  }
  ~TempDir() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Result<RenderedSource> RenderFromGit(const std::string& source, const RenderOptions& options) {
  std::error_code ec;
  const fs::path abs = fs::absolute(source, ec);
  const fs::path dir = fs::is_directory(abs, ec) ? abs : abs.parent_path();
  auto top = RunChecked({"git", "-C", dir.string(), "rev-parse", "--show-toplevel"});
  if (!top) {
    return MakeError(ErrorCode::kInvalidArgument,
                     source + ": --revision needs a source inside a Git repository");
  }
  const fs::path root = Trim(*top);
  auto sha = RunChecked(
      {"git", "-C", root.string(), "rev-parse", "--verify", options.revision + "^{commit}"});
  if (!sha) {
    return MakeError(ErrorCode::kInvalidArgument,
                     source + ": unknown revision '" + options.revision + "'");
  }
  RenderedSource rendered;
  rendered.info.revision = Trim(*sha);
  const fs::path canonical_root = fs::weakly_canonical(root, ec);
  const fs::path canonical_abs = fs::weakly_canonical(abs, ec);
  fs::path rel = canonical_abs.lexically_relative(canonical_root);
  if (rel.empty() || rel == ".") {
    rel = ".";
  }
  rendered.info.path = rel.string();
  auto origin = RunProcess({"git", "-C", root.string(), "config", "--get", "remote.origin.url"});
  rendered.info.repository =
      origin && origin->exit_code == 0 ? Trim(origin->out) : canonical_root.string();

  TempDir tmp;
  if (tmp.path().empty()) {
    return MakeError(ErrorCode::kIo, "cannot create a temporary folder");
  }
  std::vector<std::string> archive = {"git",     "-C",           root.string(),
                                      "archive", "--format=tar", rendered.info.revision};
  if (rel != ".") {
    archive.insert(archive.end(), {"--", rel.string()});
  }
  auto tar = RunChecked(archive);
  if (!tar) {
    return MakeError(tar.error().code, source + ": " + tar.error().message);
  }
  auto extracted = RunProcess({"tar", "-x", "-C", tmp.path()}, "", *tar);
  if (!extracted || extracted->exit_code != 0) {
    return MakeError(ErrorCode::kIo, source + ": cannot extract the revision's files");
  }
  const fs::path local = fs::path(tmp.path()) / rel;
  if (!fs::exists(local, ec)) {
    return MakeError(ErrorCode::kNotFound, source + ": path '" + rel.string() +
                                               "' does not exist at revision " + options.revision);
  }
  auto manifests = RenderLocal(local, rel.string(), options, rendered.info.renderer);
  if (!manifests) {
    return manifests.error();
  }
  rendered.manifests = std::move(*manifests);
  return rendered;
}

}  // namespace

Result<RenderedSource> RenderSource(const std::string& source, const RenderOptions& options) {
  std::error_code ec;
  if (!fs::exists(source, ec)) {
    return MakeError(ErrorCode::kIo, source + ": no such file or folder");
  }
  if (!options.revision.empty()) {
    return RenderFromGit(source, options);
  }
  RenderedSource rendered;
  rendered.info.path = source;
  auto manifests = RenderLocal(source, source, options, rendered.info.renderer);
  if (!manifests) {
    return manifests.error();
  }
  rendered.manifests = std::move(*manifests);
  return rendered;
}

}  // namespace plumbline::render
