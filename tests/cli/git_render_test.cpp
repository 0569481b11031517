// `plumbline render --revision REV` of a Git repository: the bundle reflects the commit, not the
// work tree, the work tree and index are left alone, and the bundle records the commit SHA.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cli_support.h"

namespace {

using plumbline::hashing::Value;
using plumbline::testing::CheckOneLineError;
using plumbline::testing::CliData;
using plumbline::testing::CliSandbox;
using plumbline::testing::FindProgramForTest;
using plumbline::testing::ParseJsonForTest;
using plumbline::testing::ProcessResult;
using plumbline::testing::ReadFileForTest;
using plumbline::testing::StringAt;
using plumbline::testing::WriteFileForTest;
namespace fs = std::filesystem;

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

// Runs git in `repo`; requires success and returns stdout.
std::string Git(const CliSandbox& sb, const fs::path& repo, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git",
                                   "-C",
                                   repo.string(),
                                   "-c",
                                   "user.name=Plumbline Test",
                                   "-c",
                                   "user.email=test@plumbline.invalid",
                                   "-c",
                                   "commit.gpgsign=false",
                                   "-c",
                                   "init.defaultBranch=main"};
  argv.insert(argv.end(), args.begin(), args.end());
  const ProcessResult r = sb.Run(argv);
  INFO(r.Describe());
  REQUIRE(r.exit_code == 0);
  return r.out;
}

std::string Deployment(const std::string& image) {
  return "apiVersion: apps/v1\n"
         "kind: Deployment\n"
         "metadata:\n"
         "  name: web\n"
         "  namespace: shop\n"
         "spec:\n"
         "  replicas: 1\n"
         "  selector:\n"
         "    matchLabels: {app: web}\n"
         "  template:\n"
         "    metadata:\n"
         "      labels: {app: web}\n"
         "    spec:\n"
         "      containers:\n"
         "      - name: web\n"
         "        image: " +
         image + "\n";
}

const char* const kConfigMap =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  namespace: shop\n"
    "data:\n  GREETING: hello\n";
const char* const kExtra =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: not-committed\n  namespace: shop\n";

std::string ImageOf(const Value& bundle) {
  for (const auto& r : bundle.Find("resources")->items()) {
    if (StringAt(r, "kind") == "Deployment") {
      const Value* obj = r.Find("object");
      const Value& containers =
          *obj->Find("spec")->Find("template")->Find("spec")->Find("containers");
      return StringAt(containers.items().at(0), "image");
    }
  }
  return "<no Deployment>";
}

std::vector<std::string> Names(const Value& bundle) {
  std::vector<std::string> out;
  for (const auto& r : bundle.Find("resources")->items()) {
    out.push_back(StringAt(r, "kind") + "/" + StringAt(r, "name"));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("render --revision reads the commit, not the work tree, and leaves it untouched",
          "[cli][render][git]") {
  if (FindProgramForTest("git").empty()) {
    WARN("skipped: git is not installed");
    return;
  }
  CliSandbox sb;
  const fs::path repo = sb.dir() / "repo";
  fs::create_directories(repo);
  Git(sb, repo, {"init", "-q"});
  WriteFileForTest(repo / "deploy" / "deployment.yaml", Deployment("registry.example.com/web:1.0"));
  WriteFileForTest(repo / "deploy" / "configmap.yaml", kConfigMap);
  WriteFileForTest(repo / "README.md", "# shop\n");
  Git(sb, repo, {"add", "-A"});
  Git(sb, repo, {"commit", "-q", "-m", "first"});
  const std::string first = Trimmed(Git(sb, repo, {"rev-parse", "HEAD"}));
  REQUIRE(first.size() == 40);

  WriteFileForTest(repo / "deploy" / "deployment.yaml", Deployment("registry.example.com/web:2.0"));
  Git(sb, repo, {"commit", "-q", "-am", "second"});
  const std::string second = Trimmed(Git(sb, repo, {"rev-parse", "HEAD"}));

  // The work tree moves on: an uncommitted edit, a staged file and an untracked file.
  const std::string dirty = Deployment("registry.example.com/web:3.0-dirty");
  WriteFileForTest(repo / "deploy" / "deployment.yaml", dirty);
  WriteFileForTest(repo / "deploy" / "staged.yaml", kExtra);
  Git(sb, repo, {"add", "deploy/staged.yaml"});
  WriteFileForTest(repo / "deploy" / "untracked.yaml", kExtra);
  const std::string status_before = Git(sb, repo, {"status", "--porcelain=v1", "-uall"});
  const std::string cached_before = Git(sb, repo, {"diff", "--cached"});
  REQUIRE_FALSE(status_before.empty());

  const std::string source = (repo / "deploy").string();
  const std::string out = sb.Path("first.json");
  const ProcessResult r = sb.Plumbline({"render", source, "--revision", first, "-o", out});
  INFO(r.Describe());
  REQUIRE(r.exit_code == 0);
  const std::string text = ReadFileForTest(out);
  const Value bundle = ParseJsonForTest(text);

  SECTION("the bundle holds the files of the commit") {
    CHECK(Names(bundle) == std::vector<std::string>{"ConfigMap/web-config", "Deployment/web"});
    CHECK(ImageOf(bundle) == "registry.example.com/web:1.0");
    // No trace of the temporary checkout in the bundle.
    CHECK(text.find("plumbline-render-") == std::string::npos);
    CHECK(text.find(sb.dir().string() + "/tmp") == std::string::npos);
  }
  SECTION("sources[0] records the commit SHA and the path inside the repository") {
    const Value* sources = bundle.Find("sources");
    REQUIRE(sources != nullptr);
    REQUIRE(sources->items().size() == 1);
    CHECK(StringAt(sources->items()[0], "revision") == first);
    CHECK(StringAt(sources->items()[0], "path") == "deploy");
    CHECK(StringAt(sources->items()[0], "renderer") == "plain");
  }
  SECTION("the work tree, the index and HEAD are untouched") {
    CHECK(Git(sb, repo, {"status", "--porcelain=v1", "-uall"}) == status_before);
    CHECK(Git(sb, repo, {"diff", "--cached"}) == cached_before);
    CHECK(Trimmed(Git(sb, repo, {"rev-parse", "HEAD"})) == second);
    CHECK(ReadFileForTest((repo / "deploy" / "deployment.yaml").string()) == dirty);
    CHECK(fs::exists(repo / "deploy" / "untracked.yaml"));
    CHECK(Git(sb, repo, {"stash", "list"}).empty());
  }
  SECTION("a symbolic revision resolves to the same commit and the same bytes") {
    const ProcessResult again = sb.Plumbline({"render", source, "--revision", "HEAD~1"});
    INFO(again.Describe());
    REQUIRE(again.exit_code == 0);
    CHECK(again.out == text);
  }
  SECTION("HEAD gives the second commit, never the dirty work tree") {
    const ProcessResult head = sb.Plumbline({"render", source, "--revision", "HEAD"});
    INFO(head.Describe());
    REQUIRE(head.exit_code == 0);
    const Value b = ParseJsonForTest(head.out);
    CHECK(ImageOf(b) == "registry.example.com/web:2.0");
    CHECK(Names(b) == std::vector<std::string>{"ConfigMap/web-config", "Deployment/web"});
    CHECK(StringAt(b.Find("sources")->items()[0], "revision") == second);
  }
  SECTION("an unknown revision is a one-line error naming the source") {
    const ProcessResult bad = sb.Plumbline({"render", source, "--revision", "no-such-branch"});
    CheckOneLineError(bad, {source, "no-such-branch"});
  }
  SECTION("a folder outside any repository is a one-line error") {
    const fs::path plain = sb.dir() / "not-a-repo";
    WriteFileForTest(plain / "cm.yaml", kConfigMap);
    const ProcessResult bad = sb.Plumbline({"render", plain.string(), "--revision", first},
                                           {{"GIT_CEILING_DIRECTORIES", sb.dir().string()}});
    CheckOneLineError(bad, {plain.string()});
  }
}

TEST_CASE("render --revision of a Kustomize folder inside a repository", "[cli][render][git]") {
  if (FindProgramForTest("git").empty() || FindProgramForTest("kubectl").empty()) {
    WARN("skipped: needs git and kubectl");
    return;
  }
  CliSandbox sb;
  const fs::path repo = sb.dir() / "repo";
  fs::create_directories(repo);
  Git(sb, repo, {"init", "-q"});
  plumbline::testing::CopyTreeForTest(CliData("kustomize"), repo / "overlays" / "kz");
  Git(sb, repo, {"add", "-A"});
  Git(sb, repo, {"commit", "-q", "-m", "kustomize"});
  const std::string sha = Trimmed(Git(sb, repo, {"rev-parse", "HEAD"}));
  // Break the work tree copy: the render must not read it.
  WriteFileForTest(repo / "overlays" / "kz" / "kustomization.yaml", "this: [is not valid\n");

  const ProcessResult r =
      sb.Plumbline({"render", (repo / "overlays" / "kz").string(), "--revision", sha});
  INFO(r.Describe());
  REQUIRE(r.exit_code == 0);
  const Value bundle = ParseJsonForTest(r.out);
  const Value& source = bundle.Find("sources")->items().at(0);
  CHECK(StringAt(source, "renderer") == "kustomize");
  CHECK(StringAt(source, "revision") == sha);
  CHECK(StringAt(source, "path") == "overlays/kz");
  CHECK(bundle.Find("resources")->items().size() == 3);
}
