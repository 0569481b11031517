// Hostile and broken input to `plumbline render` and `plumbline diff`: every case must end with
// exit status 2 and one stderr line naming the file (and the line where there is one), within
// the time bound, without a signal and with bounded memory.
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cli_support.h"

namespace {

using plumbline::testing::CheckOneLineError;
using plumbline::testing::CliData;
using plumbline::testing::CliSandbox;
using plumbline::testing::kMaxRssKbOnBadInput;
using plumbline::testing::ProcessResult;
using plumbline::testing::WriteFileForTest;
namespace fs = std::filesystem;

// The three ways a file reaches the parser: as a render source, as diff's --target, as --live.
// Each must fail the same way, with a message containing every string of `must_contain`.
void CheckAllEntryPoints(const CliSandbox& sb, const std::string& path,
                         const std::vector<std::string>& must_contain) {
  const std::string valid = CliData("bad/valid.yaml");
  const std::vector<std::pair<std::string, std::vector<std::string>>> runs = {
      {"render", {"render", path}},
      {"diff --target", {"diff", "--target", path, "--live", valid}},
      {"diff --live", {"diff", "--target", valid, "--live", path}},
  };
  for (const auto& [what, args] : runs) {
    DYNAMIC_SECTION(what) {
      const ProcessResult r = sb.Plumbline(args);
      CheckOneLineError(r, must_contain);
      INFO(r.Describe());
      CHECK(r.max_rss_kb < kMaxRssKbOnBadInput);
    }
  }
}

std::string FileName(const std::string& path) { return fs::path(path).filename().string(); }

// A ConfigMap whose serialized size is about `bytes`.
std::string ConfigMapOfSize(std::size_t bytes) {
  std::string text =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  namespace: demo\n"
      "data:\n";
  const std::string value(1000, 'x');
  for (std::size_t i = 0; text.size() < bytes; ++i) {
    text += "  key-" + std::to_string(i) + ": " + value + "\n";
  }
  return text;
}

}  // namespace

TEST_CASE("the valid control file is accepted by every entry point", "[cli][bad-input]") {
  CliSandbox sb;
  sb.set_timeout(plumbline::testing::kBadInputTimeout);
  const std::string valid = CliData("bad/valid.yaml");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"render", valid}, {"diff", "--target", valid, "--live", valid}}) {
    const ProcessResult r = sb.Plumbline(args);
    INFO(r.Describe());
    CHECK(r.exit_code == 0);
  }
}

TEST_CASE("bad input: malformed YAML (tab indentation)", "[cli][bad-input]") {
  CliSandbox sb;
  sb.set_timeout(plumbline::testing::kBadInputTimeout);
  const std::string f = CliData("bad/tab-indent.yaml");
  CheckAllEntryPoints(sb, f, {FileName(f) + ":7"});
}

TEST_CASE("bad input: malformed JSON", "[cli][bad-input]") {
  CliSandbox sb;
  sb.set_timeout(plumbline::testing::kBadInputTimeout);
  const std::string f = CliData("bad/malformed.json");
  CheckAllEntryPoints(sb, f, {FileName(f)});
}

TEST_CASE("bad input: malformed JSON error names the line", "[cli][bad-input]") {
  // The stray comma is on line 4 of malformed.json.
  CliSandbox sb;
  sb.set_timeout(plumbline::testing::kBadInputTimeout);
  const std::string f = CliData("bad/malformed.json");
  CheckAllEntryPoints(sb, f, {FileName(f) + ":4"});
}

TEST_CASE("bad input: a document without kind", "[cli][bad-input]") {
  CliSandbox sb;
  sb.set_timeout(plumbline::testing::kBadInputTimeout);
  const std::string f = CliData("bad/missing-kind.yaml");
  CheckAllEntryPoints(sb, f, {FileName(f) + ":7", "kind"});
  SECTION("JSON") {
    WriteFileForTest(sb.dir() / "kindless.json",
                     "{\"apiVersion\": \"v1\", \"metadata\": {\"name\": \"x\"}}\n");
    const ProcessResult r = sb.Plumbline({"render", sb.Path("kindless.json")});
    CheckOneLineError(r, {"kindless.json", "kind"});
  }
}

TEST_CASE("bad input: a document without apiVersion", "[cli][bad-input]") {
  CliSandbox sb;
  sb.set_timeout(plumbline::testing::kBadInputTimeout);
  const std::string f = CliData("bad/missing-apiversion.yaml");
  CheckAllEntryPoints(sb, f, {FileName(f) + ":7", "apiVersion"});
}

TEST_CASE("bad input: duplicate identities", "[cli][bad-input]") {
  // The second ConfigMap demo/twice starts on line 9.
  CliSandbox sb;
  sb.set_timeout(plumbline::testing::kBadInputTimeout);
  const std::string f = CliData("bad/duplicate-identity.yaml");
  CheckAllEntryPoints(sb, f, {FileName(f) + ":9", "twice"});
}

TEST_CASE("bad input: duplicate identities across two files of a folder", "[cli][bad-input]") {
  CliSandbox sb;
  sb.set_timeout(plumbline::testing::kBadInputTimeout);
  const fs::path dir = sb.dir() / "dup";
  const std::string valid = CliData("bad/valid.yaml");
  fs::create_directories(dir);
  fs::copy_file(valid, dir / "a.yaml");
  fs::copy_file(valid, dir / "b.yaml");
  const std::string other = sb.Path("other.yaml");
  WriteFileForTest(other, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n");
  SECTION("render") {
    CheckOneLineError(sb.Plumbline({"render", dir.string()}), {"a.yaml", "b.yaml"});
  }
  SECTION("diff --target") {
    CheckOneLineError(sb.Plumbline({"diff", "--target", dir.string(), "--live", other}),
                      {"a.yaml", "b.yaml"});
  }
  SECTION("diff --live") {
    CheckOneLineError(sb.Plumbline({"diff", "--target", other, "--live", dir.string()}),
                      {"a.yaml", "b.yaml"});
  }
}

TEST_CASE("bad input: an object over 3 MiB", "[cli][bad-input]") {
  CliSandbox sb;
  sb.set_timeout(plumbline::testing::kBadInputTimeout);
  const std::string big = sb.Path("big-configmap.yaml");
  WriteFileForTest(big, ConfigMapOfSize(3u * 1024 * 1024 + 64 * 1024));
  CheckAllEntryPoints(sb, big, {"big-configmap.yaml"});

  SECTION("just under the limit is fine") {
    const std::string ok = sb.Path("large-configmap.yaml");
    WriteFileForTest(ok, ConfigMapOfSize(2800u * 1024));
    const ProcessResult r = sb.Plumbline({"render", ok});
    INFO(r.Describe());
    CHECK(r.exit_code == 0);
  }
}

TEST_CASE("bad input: a YAML alias bomb (billion laughs)", "[cli][bad-input]") {
  CliSandbox sb;
  sb.set_timeout(plumbline::testing::kBadInputTimeout);
  const std::string f = CliData("bad/alias-bomb.yaml");
  CheckAllEntryPoints(sb, f, {FileName(f) + ":"});
}

TEST_CASE("bad input: deep nesting", "[cli][bad-input]") {
  CliSandbox sb;
  sb.set_timeout(plumbline::testing::kBadInputTimeout);
  const std::size_t depth = 100000;
  SECTION("YAML") {
    const std::string f = sb.Path("deep.yaml");
    WriteFileForTest(f, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  k: " +
                            std::string(depth, '[') + std::string(depth, ']') + "\n");
    CheckAllEntryPoints(sb, f, {"deep.yaml"});
  }
  SECTION("JSON") {
    const std::string f = sb.Path("deep.json");
    WriteFileForTest(f,
                     "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                     "\"deep\"},\"data\":" +
                         std::string(depth, '[') + std::string(depth, ']') + "}\n");
    CheckAllEntryPoints(sb, f, {"deep.json"});
  }
}

TEST_CASE("bad input: binary garbage", "[cli][bad-input]") {
  CliSandbox sb;
  sb.set_timeout(plumbline::testing::kBadInputTimeout);
  std::mt19937 rng(20250603);  // fixed seed: the same bytes on every run
  std::string bytes(64 * 1024, '\0');
  for (auto& c : bytes) {
    c = static_cast<char>(rng() & 0xff);
  }
  SECTION(".yaml") {
    const std::string f = sb.Path("garbage.yaml");
    WriteFileForTest(f, bytes);
    CheckAllEntryPoints(sb, f, {"garbage.yaml"});
  }
  SECTION(".json") {
    const std::string f = sb.Path("garbage.json");
    WriteFileForTest(f, bytes);
    CheckAllEntryPoints(sb, f, {"garbage.json"});
  }
  SECTION("in a folder") {
    WriteFileForTest(sb.dir() / "folder" / "a.yaml",
                     plumbline::testing::ReadFileForTest(CliData("bad/valid.yaml")));
    WriteFileForTest(sb.dir() / "folder" / "b.yaml", bytes);
    const ProcessResult r = sb.Plumbline({"render", sb.Path("folder")});
    CheckOneLineError(r, {"b.yaml"});
  }
}

TEST_CASE("bad input: unreadable paths", "[cli][bad-input]") {
  CliSandbox sb;
  sb.set_timeout(plumbline::testing::kBadInputTimeout);
  SECTION("a path that does not exist") {
    CheckAllEntryPoints(sb, sb.Path("no-such-file.yaml"), {"no-such-file.yaml"});
  }
  SECTION("a folder that does not exist") {
    CheckAllEntryPoints(sb, sb.Path("no-such-folder"), {"no-such-folder"});
  }
  SECTION("a file without read permission") {
    if (geteuid() == 0) {
      WARN("skipped: running as root, which can read a mode-000 file");
      return;
    }
    const std::string f = sb.Path("secret-perms.yaml");
    WriteFileForTest(f, plumbline::testing::ReadFileForTest(CliData("bad/valid.yaml")));
    fs::permissions(f, fs::perms::none);
    CheckAllEntryPoints(sb, f, {"secret-perms.yaml"});
  }
  SECTION("a character device that never ends (/dev/zero)") {
    CheckAllEntryPoints(sb, "/dev/zero", {"/dev/zero"});
  }
  SECTION("a FIFO nobody writes to") {
    const std::string fifo = sb.Path("pipe.yaml");
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    CheckAllEntryPoints(sb, fifo, {"pipe.yaml"});
  }
}

TEST_CASE("bad command lines", "[cli][bad-input]") {
  CliSandbox sb;
  sb.set_timeout(plumbline::testing::kBadInputTimeout);
  const std::string valid = CliData("bad/valid.yaml");
  SECTION("unknown option to diff") {
    CheckOneLineError(sb.Plumbline({"diff", "--target", valid, "--live", valid, "--bogus", "x"}),
                      {"--bogus"});
  }
  SECTION("unknown option to render") {
    CheckOneLineError(sb.Plumbline({"render", valid, "--bogus", "x"}), {"--bogus"});
  }
  SECTION("missing --live") {
    CheckOneLineError(sb.Plumbline({"diff", "--target", valid}), {"--live"});
  }
  SECTION("missing --target") {
    CheckOneLineError(sb.Plumbline({"diff", "--live", valid}), {"--target"});
  }
  SECTION("an option without its value") {
    CheckOneLineError(sb.Plumbline({"diff", "--target", valid, "--live"}), {"--live"});
  }
  SECTION("an unknown output format") {
    CheckOneLineError(sb.Plumbline({"diff", "--target", valid, "--live", valid, "-o", "yaml"}),
                      {"-o"});
  }
  SECTION("render without a source") { CheckOneLineError(sb.Plumbline({"render"}), {"SOURCE"}); }
  SECTION("a policy file that does not exist") {
    CheckOneLineError(sb.Plumbline({"diff", "--target", valid, "--live", valid, "--policy",
                                    sb.Path("no-policy.yaml")}),
                      {"no-policy.yaml"});
  }
  SECTION("an unknown command exits 2") {
    const ProcessResult r = sb.Plumbline({"frobnicate"});
    INFO(r.Describe());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("frobnicate") != std::string::npos);
  }
}
