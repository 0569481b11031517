#include <cstdio>
#include <fstream>

#include "plumbline/hashing/policy.h"
#include "plumbline/render/bundle.h"
#include "plumbline/render/manifest.h"
#include "plumbline/render/secret_key.h"
#include "plumbline/render/source.h"

#include "commands.h"
#include "options.h"
#include "policy_file.h"

namespace plumbline::cli {

int Fail(const std::string& message) {
  std::fprintf(stderr, "plumbline: error: %s\n", message.c_str());
  return 2;
}

int RenderCommand(const std::vector<std::string>& argv) {
  auto args = ParseArgs(
      argv, {"-n", "--namespace", "--revision", "-o", "--output", "--policy", "--hmac-key-file"});
  if (!args) {
    return Fail("render: " + args.error().message);
  }
  if (args->positional.empty()) {
    return Fail(
        "render: no SOURCE given (a manifest file or folder, a Kustomize folder, a Helm "
        "chart or a Git checkout)");
  }
  auto policy = LoadPolicyFile(args->Get("--policy"));
  if (!policy) {
    return Fail(policy.error().message);
  }
  const std::string key_path = args->Get("--hmac-key-file", render::DefaultKeyPath());
  auto key = render::LoadOrCreateKey(key_path, /*create=*/true);
  if (!key) {
    return Fail(key.error().message);
  }
  render::HmacSecretHasher hasher(*key);

  render::RenderOptions options;
  options.namespace_ = args->Get("-n", args->Get("--namespace"));
  options.revision = args->Get("--revision");
  std::vector<render::RenderedSource> sources;
  for (const auto& source : args->positional) {
    auto rendered = render::RenderSource(source, options);
    if (!rendered) {
      return Fail(rendered.error().message);
    }
    sources.push_back(std::move(*rendered));
  }
  auto bundle =
      render::BuildBundle(sources, options.namespace_, *policy, hasher, render::KeyId(*key));
  if (!bundle) {
    return Fail(bundle.error().message);
  }
  const std::string text = render::SerializeBundle(*bundle, *policy);
  const std::string output = args->Get("-o", args->Get("--output", "-"));
  if (output == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : Fail("render: cannot write to stdout");
  }
  // Write to a temporary name and rename, so a reader never sees half a bundle.
  const std::string tmp = output + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      return Fail("render: cannot write " + output);
    }
  }
  if (std::rename(tmp.c_str(), output.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Fail("render: cannot write " + output);
  }
  std::fprintf(stderr, "plumbline: wrote %zu resources to %s\n", bundle->entries.size(),
               output.c_str());
  return 0;
}

}  // namespace plumbline::cli
