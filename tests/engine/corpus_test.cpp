// Runs every case of ../shared/corpus/cases.yaml through the code path of `plumbline diff`
// (PrepareTarget + EvaluateSet + the JSON report) and checks verdict, drift kind, paths, actor,
// suppressed paths and redaction.
#include <algorithm>
#include <set>

#include <catch2/catch.hpp>

#include "plumbline/hashing/evaluate.h"
#include "plumbline/hashing/report.h"
#include "plumbline/render/manifest.h"
#include "plumbline/render/secret_key.h"
#include "plumbline/render/yaml_reader.h"

#include "support/shared_dir.h"

using plumbline::hashing::Value;
namespace hashing = plumbline::hashing;
namespace render = plumbline::render;

namespace {

std::set<std::string> StringSet(const Value* list) {
  std::set<std::string> out;
  if (list != nullptr && list->is_array()) {
    for (const auto& item : list->items()) {
      out.insert(item.text());
    }
  }
  return out;
}

const Value* AtPointer(const Value& root, const std::string& pointer) {
  const Value* node = &root;
  std::size_t start = 1;
  while (node != nullptr && start <= pointer.size() && !pointer.empty()) {
    std::size_t slash = pointer.find('/', start);
    if (slash == std::string::npos) {
      slash = pointer.size();
    }
    std::string token;
    for (std::size_t i = start; i < slash; ++i) {
      if (pointer[i] == '~' && i + 1 < slash) {
        token.push_back(pointer[i + 1] == '1' ? '/' : '~');
        ++i;
      } else {
        token.push_back(pointer[i]);
      }
    }
    if (node->is_array()) {
      const std::size_t i = std::stoul(token);
      node = i < node->items().size() ? &node->items()[i] : nullptr;
    } else {
      node = node->Find(token);
    }
    start = slash + 1;
  }
  return node;
}

std::string Base64Decode(const std::string& in) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    const auto pos = kAlphabet.find(c);
    if (pos == std::string::npos) {
      continue;
    }
    buffer = (buffer << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("Corpus: every case of shared/corpus/cases.yaml", "[corpus]") {
  PLUMBLINE_SKIP_WITHOUT_SHARED(shared);
  const std::string text = plumbline::testing::ReadFileForTest(shared + "/corpus/cases.yaml");
  auto docs = render::ParseYamlStream(text);
  REQUIRE(docs.has_value());
  REQUIRE(docs->size() == 1);
  const Value& corpus = (*docs)[0].value;
  const Value* cases = corpus.Find("cases");
  REQUIRE(cases != nullptr);
  REQUIRE(cases->items().size() >= 29);
  render::HmacSecretHasher hasher("corpus-test-key-0123456789abcdef");

  for (const Value& c : cases->items()) {
    const std::string id(c.GetString("id"));
    DYNAMIC_SECTION(id << " " << c.GetString("name")) {
      const Value* options = c.Find("options");
      const Value* policy_doc = options != nullptr ? options->Find("policy") : nullptr;
      auto policy = hashing::ParsePolicy(policy_doc != nullptr ? *policy_doc : Value());
      REQUIRE(policy.has_value());

      std::vector<hashing::Target> targets;
      Value target_object;
      if (const Value* yaml = c.Find("target_yaml")) {
        auto manifests = render::ReadManifestText(yaml->text(), id + "/target_yaml");
        REQUIRE(manifests.has_value());
        REQUIRE(manifests->size() == 1);
        target_object = (*manifests)[0].object;
      } else if (const Value* t = c.Find("target"); t != nullptr && !t->is_null()) {
        target_object = *t;
      }
      if (!target_object.is_null()) {
        auto target = hashing::PrepareTarget(target_object, *policy, hasher, "");
        REQUIRE(target.has_value());
        targets.push_back(std::move(*target));
      }
      std::vector<Value> live;
      const Value* live_object = c.Find("live");
      if (live_object != nullptr && !live_object->is_null()) {
        live.push_back(*live_object);
      }
      if (const Value* context = options != nullptr ? options->Find("context") : nullptr) {
        for (const auto& obj : context->items()) {
          live.push_back(obj);
        }
      }

      auto evaluation = hashing::EvaluateSet(targets, live, *policy, hasher);
      REQUIRE(evaluation.has_value());
      // The resource under test: the target's identity, else the live object's.
      const hashing::Verdict* verdict = nullptr;
      const Value& subject = !target_object.is_null() ? target_object : *live_object;
      auto subject_id = hashing::IdentityOf(subject);
      REQUIRE(subject_id.has_value());
      for (const auto& v : evaluation->verdicts) {
        if (v.id.Key() == subject_id->Key()) {
          verdict = &v;
        }
      }
      const std::string expected(c.GetString("expected"));
      if (expected == "in_sync") {
        if (verdict != nullptr) {
          INFO("paths: " << (verdict->paths.empty() ? "" : verdict->paths[0].pointer));
          CHECK_FALSE(verdict->drifted());
        }
        // Context objects (an HPA) are not drift either.
        for (const auto& v : evaluation->verdicts) {
          CHECK_FALSE(v.drifted());
        }
      } else {
        REQUIRE(verdict != nullptr);
        CHECK(verdict->drifted());
        CHECK(std::string(hashing::DriftKindName(verdict->kind)) == c.GetString("drift_kind"));
      }
      std::set<std::string> got_paths;
      if (verdict != nullptr) {
        for (const auto& p : verdict->paths) {
          got_paths.insert(p.pointer);
        }
      }
      CHECK(got_paths == StringSet(c.Find("drifted_paths")));

      if (const Value* actor = c.Find("expected_actor"); actor != nullptr && verdict != nullptr) {
        REQUIRE_FALSE(verdict->paths.empty());
        for (const auto& p : verdict->paths) {
          REQUIRE(p.actor.has_value());
          CHECK(p.actor->manager == actor->GetString("manager"));
          CHECK(p.actor->operation == actor->GetString("operation"));
          CHECK(p.actor->time == actor->GetString("time"));
        }
      }
      std::set<std::string> got_suppressed;
      if (verdict != nullptr) {
        got_suppressed.insert(verdict->suppressed.begin(), verdict->suppressed.end());
      }
      CHECK(got_suppressed == StringSet(c.Find("suppressed_paths")));

      // Redaction: no value at a redacted path, raw, base64 or decoded, in any output.
      const std::string json = hashing::ToJson(hashing::EvaluationToValue(*evaluation));
      const std::string report = hashing::EvaluationToText(*evaluation);
      for (const auto& pointer : StringSet(c.Find("redact"))) {
        std::vector<std::string> secrets;
        for (const Value* side : std::initializer_list<const Value*>{&target_object, live_object}) {
          if (side == nullptr || side->is_null()) {
            continue;
          }
          if (const Value* v = AtPointer(*side, pointer); v != nullptr && v->is_string()) {
            secrets.push_back(v->text());
            secrets.push_back(Base64Decode(v->text()));
          }
          // stringData plaintext of a Secret.
          const std::string key = pointer.substr(pointer.rfind('/') + 1);
          if (const Value* sd = side->Find("stringData")) {
            if (const Value* v = sd->Find(key)) {
              secrets.push_back(v->text());
            }
          }
        }
        for (const auto& secret : secrets) {
          // Short plaintexts ("shop") also occur as ordinary names in the output.
          if (secret.size() < 6) {
            continue;
          }
          INFO("redacted value of " << pointer << " leaked");
          CHECK(json.find(secret) == std::string::npos);
          CHECK(report.find(secret) == std::string::npos);
        }
      }
    }
  }
}
