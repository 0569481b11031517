// Rendering a desired-state source into manifests: plain files and folders, Kustomize folders
// (`kubectl kustomize`), Helm charts (`helm template`), and any of those inside a Git repository
// read at a revision with `git archive` (the work tree is never touched). Blocking; one thread.
#pragma once

#include <string>
#include <vector>

#include "plumbline/common/result.h"
#include "plumbline/render/manifest.h"

namespace plumbline::render {

struct RenderOptions {
  std::string namespace_;  // -n: Helm's --namespace and the bundle's default namespace
  std::string revision;    // --revision: read the Git repository at this revision
};

struct SourceInfo {
  std::string repository;  // remote origin URL, else the repository's path; empty outside Git
  std::string revision;    // resolved commit SHA; empty outside Git
  std::string path;        // the source path (relative to the repository root inside Git)
  std::string renderer;    // plain | kustomize | helm
};

struct RenderedSource {
  SourceInfo info;
  std::vector<Manifest> manifests;  // file labels relative to the source
};

Result<RenderedSource> RenderSource(const std::string& source, const RenderOptions& options);

}  // namespace plumbline::render
