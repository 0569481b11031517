// JSON Patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge patch as kube-sim
// applies them. Expected results come from the RFC appendices, the kubectl transcripts
// (docs/kubernetes/kubectl-transcripts) and the upstream strategicpatch test cases (ported onto
// built-in Pod/Deployment fields with the same patch strategies).
#include "plumbline/sim/patch.h"

#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "plumbline/hashing/json.h"
#include "plumbline/hashing/schema_tables.h"
#include "plumbline/hashing/value.h"

namespace {

using plumbline::ErrorCode;
using plumbline::Result;
using plumbline::hashing::Value;
namespace sim = plumbline::sim;

Value J(std::string_view json) {
  Result<Value> parsed = plumbline::hashing::ParseJson(json);
  INFO(json);
  REQUIRE(parsed.has_value());
  return *parsed;
}

std::string Text(const Value& v) { return plumbline::hashing::ToJson(v); }

// Applies a JSON patch that must succeed.
Value JsonPatched(std::string_view doc, std::string_view patch) {
  Result<Value> r = sim::ApplyJsonPatch(J(doc), J(patch));
  if (!r) {
    FAIL("unexpected error: " << r.error().message);
  }
  return *r;
}

// Applies a JSON patch that must fail; returns the error.
plumbline::Error JsonPatchError(std::string_view doc, std::string_view patch) {
  Result<Value> r = sim::ApplyJsonPatch(J(doc), J(patch));
  if (r) {
    FAIL("expected an error, got " << Text(*r));
  }
  return r.error();
}

Value Merged(std::string_view doc, std::string_view patch) {
  return sim::ApplyMergePatch(J(doc), J(patch));
}

Value Smp(std::string_view doc, std::string_view patch, std::string_view group = "",
          std::string_view kind = "Pod") {
  Result<Value> r = sim::ApplyStrategicMergePatch(J(doc), J(patch), group, kind);
  if (!r) {
    FAIL("unexpected error: " << r.error().message);
  }
  return *r;
}

plumbline::Error SmpError(std::string_view doc, std::string_view patch, std::string_view group = "",
                          std::string_view kind = "Pod") {
  Result<Value> r = sim::ApplyStrategicMergePatch(J(doc), J(patch), group, kind);
  if (r) {
    FAIL("expected an error, got " << Text(*r));
  }
  return r.error();
}

Value Deploy(std::string_view doc, std::string_view patch) {
  return Smp(doc, patch, "apps", "Deployment");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// RFC 6902 appendix A.

TEST_CASE("JSON patch: RFC 6902 A.1-A.5 add and remove members and elements, replace",
          "[sim][patch]") {
  SECTION("A.1 adding an object member") {
    CHECK(JsonPatched(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])") ==
          J(R"({"baz":"qux","foo":"bar"})"));
  }
  SECTION("A.2 adding an array element") {
    CHECK(JsonPatched(R"({"foo":["bar","baz"]})",
                      R"([{"op":"add","path":"/foo/1","value":"qux"}])") ==
          J(R"({"foo":["bar","qux","baz"]})"));
  }
  SECTION("A.3 removing an object member") {
    CHECK(JsonPatched(R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])") ==
          J(R"({"foo":"bar"})"));
  }
  SECTION("A.4 removing an array element") {
    CHECK(JsonPatched(R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])") ==
          J(R"({"foo":["bar","baz"]})"));
  }
  SECTION("A.5 replacing a value") {
    CHECK(JsonPatched(R"({"baz":"qux","foo":"bar"})",
                      R"([{"op":"replace","path":"/baz","value":"boo"}])") ==
          J(R"({"baz":"boo","foo":"bar"})"));
  }
}

TEST_CASE("JSON patch: RFC 6902 A.6-A.7 move a value and an array element", "[sim][patch]") {
  CHECK(JsonPatched(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
                    R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])") ==
        J(R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"));
  CHECK(JsonPatched(R"({"foo":["all","grass","cows","eat"]})",
                    R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])") ==
        J(R"({"foo":["all","cows","eat","grass"]})"));
}

TEST_CASE("JSON patch: RFC 6902 A.8-A.9 test succeeds and fails", "[sim][patch]") {
  const std::string doc = R"({"baz":"qux","foo":["a",2,"c"]})";
  CHECK(JsonPatched(doc, R"([{"op":"test","path":"/baz","value":"qux"},
                            {"op":"test","path":"/foo/1","value":2}])") == J(doc));
  const plumbline::Error e =
      JsonPatchError(R"({"baz":"qux"})", R"([{"op":"test","path":"/baz","value":"bar"}])");
  CHECK(e.code == ErrorCode::kInvalidArgument);
  CHECK(e.message == "testing value /baz failed: test failed");
}

TEST_CASE("JSON patch: RFC 6902 A.10-A.12 nested add, unknown members, missing target",
          "[sim][patch]") {
  CHECK(JsonPatched(R"({"foo":"bar"})",
                    R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])") ==
        J(R"({"foo":"bar","child":{"grandchild":{}}})"));
  CHECK(
      JsonPatched(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])") ==
      J(R"({"foo":"bar","baz":"qux"})"));
  const plumbline::Error e =
      JsonPatchError(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz/bat","value":"qux"}])");
  CHECK(e.code == ErrorCode::kInvalidArgument);
  CHECK(e.message ==
        R"(add operation does not apply: doc is missing path: "/baz/bat": missing value)");
}

TEST_CASE("JSON patch: RFC 6902 A.14-A.16 escapes, string vs number, array value", "[sim][patch]") {
  const std::string doc = R"({"/":9,"~1":10})";
  CHECK(JsonPatched(doc, R"([{"op":"test","path":"/~01","value":10}])") == J(doc));
  CHECK(JsonPatchError(doc, R"([{"op":"test","path":"/~01","value":"10"}])").message ==
        "testing value /~01 failed: test failed");
  CHECK(JsonPatched(R"({"foo":["bar"]})",
                    R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])") ==
        J(R"({"foo":["bar",["abc","def"]]})"));
  CHECK(
      JsonPatched(R"({"a/b":{"m~n":1}})", R"([{"op":"replace","path":"/a~1b/m~0n","value":2}])") ==
      J(R"({"a/b":{"m~n":2}})"));
}

TEST_CASE("JSON patch: copy, operations in sequence, and kubectl's replace", "[sim][patch]") {
  CHECK(JsonPatched(R"({"a":{"b":[1,2]},"c":{}})",
                    R"([{"op":"copy","from":"/a/b","path":"/c/d"},
                        {"op":"add","path":"/c/d/0","value":0},
                        {"op":"remove","path":"/a"}])") == J(R"({"c":{"d":[0,1,2]}})"));
  // transcripts/25-patch-json.txt
  CHECK(JsonPatched(R"({"spec":{"replicas":2,"paused":false}})",
                    R"([{"op":"replace","path":"/spec/replicas","value":4}])") ==
        J(R"({"spec":{"replicas":4,"paused":false}})"));
  // A test op guarding a later op: the whole patch fails, nothing is applied.
  CHECK(JsonPatchError(R"({"spec":{"replicas":2}})",
                       R"([{"op":"test","path":"/spec/replicas","value":3},
                           {"op":"replace","path":"/spec/replicas","value":4}])")
            .message == "testing value /spec/replicas failed: test failed");
}

TEST_CASE("JSON patch: errors carry the API server's json-patch messages", "[sim][patch]") {
  const std::string doc = R"({"a":{"b":1},"l":[1,2]})";
  CHECK(JsonPatchError(doc, R"([{"op":"remove","path":"/a/x"}])").message ==
        "error in remove for path: '/a/x': Unable to remove nonexistent key: x: missing value");
  CHECK(JsonPatchError(doc, R"([{"op":"add","path":"/l/5","value":0}])").message ==
        "error in add for path: '/l/5': Unable to access invalid index: 5: invalid index "
        "referenced");
  CHECK(JsonPatchError(doc, R"([{"op":"add","path":"/l/x","value":0}])").message ==
        "error in add for path: '/l/x': value was not a proper array index: 'x': strconv.Atoi: "
        "parsing \"x\": invalid syntax");
  CHECK(JsonPatchError(doc, R"([{"op":"replace","path":"/l/2","value":0}])").message ==
        "replace operation does not apply: doc is missing key: /l/2: missing value");
  CHECK(JsonPatchError(doc, R"([{"op":"move","from":"/nope/x","path":"/y"}])").message ==
        "move operation does not apply: doc is missing from path: /nope/x: missing value");
  CHECK(JsonPatchError(doc, R"([{"op":"copy","from":"/a/b","path":"/z/y"}])").message ==
        "copy operation does not apply: doc is missing destination path: /z/y: missing value");
  CHECK(JsonPatchError(doc, R"([{"op":"frobnicate","path":"/a"}])").message ==
        "Unexpected kind: frobnicate");
  CHECK(JsonPatchError(doc, R"([{"path":"/a"}])").message == "Unexpected kind: unknown");
  CHECK(JsonPatchError(doc, R"([{"op":"add","value":1}])").message ==
        "add operation failed to decode path: missing value");
  CHECK(JsonPatchError(doc, R"([{"op":"test","path":"","value":1}])").message ==
        "test operation does not apply: is missing path: : missing value");
  // A path through a scalar cannot be followed.
  CHECK(JsonPatchError(doc, R"([{"op":"add","path":"/a/b/c","value":1}])").message ==
        R"(add operation does not apply: doc is missing path: "/a/b/c": missing value)");
}

TEST_CASE("JSON patch: the server library's departures from RFC 6902", "[sim][patch]") {
  const std::string doc = R"({"a":1,"l":["x","y","z"]})";
  // replace of an absent member adds it; copy from an absent member adds null.
  CHECK(JsonPatched(doc, R"([{"op":"replace","path":"/b","value":2}])") ==
        J(R"({"a":1,"b":2,"l":["x","y","z"]})"));
  CHECK(JsonPatched(doc, R"([{"op":"copy","from":"/nope","path":"/c"}])") ==
        J(R"({"a":1,"c":null,"l":["x","y","z"]})"));
  // test of an absent member against null passes.
  CHECK(JsonPatched(doc, R"([{"op":"test","path":"/nope","value":null}])") == J(doc));
  // Negative indices count from the end.
  CHECK(JsonPatched(doc, R"([{"op":"remove","path":"/l/-1"}])") == J(R"({"a":1,"l":["x","y"]})"));
  CHECK(JsonPatched(doc, R"([{"op":"add","path":"/l/-1","value":"w"}])") ==
        J(R"({"a":1,"l":["x","y","z","w"]})"));
  // Text before the first '/' is ignored; a pointer without any '/' points nowhere.
  CHECK(JsonPatched(doc, R"([{"op":"replace","path":"x/a","value":5}])") ==
        J(R"({"a":5,"l":["x","y","z"]})"));
  CHECK(JsonPatchError(doc, R"([{"op":"replace","path":"a","value":5}])").message ==
        "replace operation does not apply: doc is missing path: a: missing value");
  // A null patch has no operations.
  CHECK(JsonPatched(doc, "null") == J(doc));
}

TEST_CASE("JSON patch: ValidateJsonPatch answers what the server decodes", "[sim][patch]") {
  CHECK(sim::ValidateJsonPatch(J(R"([{"op":"add","path":"/a","value":1}])")).ok());
  CHECK(sim::ValidateJsonPatch(J("null")).ok());
  const plumbline::Status object = sim::ValidateJsonPatch(J(R"({"op":"add"})"));
  REQUIRE_FALSE(object.ok());
  CHECK(object.error().code == ErrorCode::kInvalidArgument);
  CHECK(object.error().message ==
        "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  const plumbline::Status item = sim::ValidateJsonPatch(J(R"(["add"])"));
  REQUIRE_FALSE(item.ok());
  CHECK(item.error().message ==
        "json: cannot unmarshal string into Go value of type jsonpatch.Operation");

  std::string many = "[";
  for (std::size_t i = 0; i <= sim::kMaxJsonPatchOperations; ++i) {
    many += i == 0 ? "" : ",";
    many += R"({"op":"test","path":"/a","value":1})";
  }
  many += "]";
  const plumbline::Status too_many = sim::ValidateJsonPatch(J(many));
  REQUIRE_FALSE(too_many.ok());
  CHECK(too_many.error().code == ErrorCode::kLimitExceeded);
  CHECK(too_many.error().message ==
        "The allowed maximum operations in a JSON patch is 10000, got 10001");
  CHECK_FALSE(sim::ApplyJsonPatch(J(R"({"a":1})"), J(many)).has_value());
}

// ---------------------------------------------------------------------------------------------
// RFC 7386 appendix A and kubectl's merge patches.

TEST_CASE("Merge patch: RFC 7386 appendix A", "[sim][patch]") {
  struct Example {
    const char* original;
    const char* patch;
    const char* result;
  };
  const Example examples[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", "null", "null"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const Example& example : examples) {
    INFO(example.original << " + " << example.patch);
    CHECK(Merged(example.original, example.patch) == J(example.result));
  }
}

TEST_CASE("Merge patch: kubectl label, annotate, scale and patch --type merge bodies",
          "[sim][patch]") {
  const std::string deploy =
      R"({"metadata":{"name":"frontend","labels":{"app":"frontend"}},"spec":{"replicas":2}})";
  // transcripts/30-label.txt, 31-label-remove.txt, 32-annotate.txt, 33-scale.txt
  const Value labeled = Merged(deploy, R"({"metadata":{"labels":{"tier":"web"}}})");
  CHECK(labeled == J(R"({"metadata":{"name":"frontend","labels":{"app":"frontend","tier":"web"}},
                         "spec":{"replicas":2}})"));
  CHECK(sim::ApplyMergePatch(labeled, J(R"({"metadata":{"labels":{"tier":null}}})")) == J(deploy));
  CHECK(Merged(deploy, R"({"metadata":{"annotations":{"owner":"team-a"}}})") ==
        J(R"({"metadata":{"name":"frontend","labels":{"app":"frontend"},
              "annotations":{"owner":"team-a"}},"spec":{"replicas":2}})"));
  CHECK(Merged(deploy, R"({"spec":{"replicas":5}})") ==
        J(R"({"metadata":{"name":"frontend","labels":{"app":"frontend"}},"spec":{"replicas":5}})"));
  // transcripts/28-patch-nochange.txt: the same patch again changes nothing.
  const Value once = Merged(deploy, R"({"metadata":{"labels":{"merged":"yes"}}})");
  CHECK(sim::ApplyMergePatch(once, J(R"({"metadata":{"labels":{"merged":"yes"}}})")) == once);
  // Member order: existing members keep their place, new ones go last.
  CHECK(Text(labeled) ==
        R"({"metadata":{"name":"frontend","labels":{"app":"frontend","tier":"web"}},)"
        R"("spec":{"replicas":2}})");
}

TEST_CASE("Merge patch: nulls inside inserted values are dropped as the server does",
          "[sim][patch]") {
  // Objects inside an inserted array lose their null members; null elements stay.
  CHECK(Merged(R"({})", R"({"a":[{"b":null,"c":1},null]})") == J(R"({"a":[{"c":1},null]})"));
  CHECK(Merged(R"({"a":[1]})", R"({"a":[{"b":null}]})") == J(R"({"a":[{}]})"));
  // Replacing a scalar with an object prunes its nulls too.
  CHECK(Merged(R"({"a":1})", R"({"a":{"b":null,"c":{"d":null}}})") == J(R"({"a":{"c":{}}})"));
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch: the kubectl transcripts.

namespace {

// The live Deployment of transcripts 27 and 35-38 (as returned by the API, trimmed).
constexpr std::string_view kFrontend = R"({
  "apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"name":"frontend","namespace":"shop","labels":{"app":"frontend"},
              "annotations":{"a":"1"},"resourceVersion":"1013"},
  "spec":{"replicas":2,"selector":{"matchLabels":{"app":"frontend"}},
    "strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},
    "template":{"metadata":{"creationTimestamp":null,"labels":{"app":"frontend"}},
      "spec":{"containers":[{"env":[{"name":"MODE","value":"prod"}],"image":"nginx:1.25",
        "imagePullPolicy":"IfNotPresent","name":"web",
        "ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},
        "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],
        "dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler",
        "securityContext":{},"terminationGracePeriodSeconds":30}}}})";

// kFrontend with its single container replaced.
Value FrontendWith(std::string_view container_json) {
  Value expected = J(kFrontend);
  Value* containers = expected.Find("spec")->Find("template")->Find("spec")->Find("containers");
  containers->items()[0] = J(container_json);
  return expected;
}

constexpr std::string_view kWebContainer = R"({"env":[{"name":"MODE","value":"prod"}],
  "image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"web",
  "ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},
  "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"})";

Value WebContainerWith(std::string_view member, std::string_view value_json) {
  Value web = J(kWebContainer);
  web.Set(member, J(value_json));
  return web;
}

}  // namespace

TEST_CASE("SMP: kubectl patch, set image, set env, rollout restart, edit", "[sim][patch]") {
  SECTION("27-patch-strategic: container merged by name") {
    const Value got = Deploy(
        kFrontend,
        R"({"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.26"}]}}}})");
    CHECK(got == FrontendWith(Text(WebContainerWith("image", R"("nginx:1.26")"))));
  }
  SECTION("35-set-image with $setElementOrder") {
    const Value got = Deploy(kFrontend, R"({"spec":{"template":{"spec":{
        "$setElementOrder/containers":[{"name":"web"}],
        "containers":[{"image":"nginx:1.28","name":"web"}]}}}})");
    CHECK(got == FrontendWith(Text(WebContainerWith("image", R"("nginx:1.28")"))));
  }
  SECTION("36-set-env: the new variable goes where $setElementOrder puts it") {
    const Value got = Deploy(kFrontend, R"({"spec":{"template":{"spec":{
        "$setElementOrder/containers":[{"name":"web"}],
        "containers":[{"$setElementOrder/env":[{"name":"MODE"},{"name":"FOO"}],
                       "env":[{"name":"FOO","value":"bar"}],"name":"web"}]}}}})");
    CHECK(got == FrontendWith(Text(WebContainerWith(
                     "env", R"([{"name":"MODE","value":"prod"},{"name":"FOO","value":"bar"}])"))));
  }
  SECTION("37-rollout-restart: a new annotations map in the template") {
    const Value got = Deploy(kFrontend, R"({"spec":{"template":{"metadata":{"annotations":{
        "kubectl.kubernetes.io/restartedAt":"2026-11-23T14:02:31Z"}}}}})");
    Value expected = J(kFrontend);
    expected.Find("spec")
        ->Find("template")
        ->Find("metadata")
        ->Set("annotations", J(R"({"kubectl.kubernetes.io/restartedAt":"2026-11-23T14:02:31Z"})"));
    CHECK(got == expected);
  }
  SECTION("38-edit: labels, replicas and image in one two-way patch") {
    const Value got = Deploy(kFrontend, R"({"metadata":{"labels":{"edited":"true"}},
        "spec":{"replicas":7,"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],
        "containers":[{"image":"nginx:1.27","name":"web"}]}}}})");
    Value expected = FrontendWith(Text(WebContainerWith("image", R"("nginx:1.27")")));
    expected.Find("metadata")->Find("labels")->Set("edited", Value::String("true"));
    expected.Find("spec")->Set("replicas", Value::Int(7));
    CHECK(got == expected);
  }
  SECTION("kubectl-wire 4.11: apply deletes one variable and adds another") {
    const Value got = Deploy(kFrontend, R"({"spec":{"replicas":4,"template":{"spec":{
        "$setElementOrder/containers":[{"name":"web"}],
        "containers":[{"$setElementOrder/env":[{"name":"NEWVAR"}],
                       "env":[{"name":"NEWVAR","value":"1"},{"$patch":"delete","name":"MODE"}],
                       "image":"nginx:1.26","name":"web"}]}}}})");
    Value web = WebContainerWith("env", R"([{"name":"NEWVAR","value":"1"}])");
    web.Set("image", Value::String("nginx:1.26"));
    Value expected = FrontendWith(Text(web));
    expected.Find("spec")->Set("replicas", Value::Int(4));
    CHECK(got == expected);
  }
  SECTION("labels merge; null removes a label") {
    const Value labeled = Deploy(kFrontend, R"({"metadata":{"labels":{"tier":"web"}}})");
    CHECK(*labeled.Find("metadata")->Find("labels") == J(R"({"app":"frontend","tier":"web"})"));
    const Value back = *sim::ApplyStrategicMergePatch(
        labeled, J(R"({"metadata":{"labels":{"tier":null}}})"), "apps", "Deployment");
    CHECK(back == J(kFrontend));
  }
}

TEST_CASE("SMP: 21-apply-csa-update, every directive kubectl apply sends", "[sim][patch]") {
  // The live object after transcripts/20-apply-csa-create.txt (manifest rich-v1 + defaults).
  const std::string live = R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"v1"},
      "finalizers":["example.com/a","example.com/b"],"labels":{"app":"rich","tier":"web"},
      "name":"rich","namespace":"shop"},
    "spec":{"replicas":1,"selector":{"matchLabels":{"app":"rich"}},
      "strategy":{"rollingUpdate":{"maxSurge":1,"maxUnavailable":0},"type":"RollingUpdate"},
      "template":{"metadata":{"labels":{"app":"rich"}},"spec":{
        "containers":[
          {"args":["--a","--b"],"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"web",
           "ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":443,"protocol":"TCP"}],
           "volumeMounts":[{"mountPath":"/etc/cfg","name":"cfg"}]},
          {"image":"busybox","imagePullPolicy":"Always","name":"sidecar"}],
        "volumes":[{"configMap":{"defaultMode":420,"name":"settings"},"name":"cfg"},
                   {"emptyDir":{},"name":"tmp"}]}}}})";
  const std::string patch = R"({"metadata":{
      "$deleteFromPrimitiveList/finalizers":["example.com/a"],
      "$setElementOrder/finalizers":["example.com/b"],
      "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"v2"},
      "labels":{"tier":null}},
    "spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":null,"type":"Recreate"},
      "template":{"spec":{
        "$setElementOrder/containers":[{"name":"sidecar"},{"name":"web"}],
        "$setElementOrder/volumes":[{"name":"cfg"}],
        "containers":[{"image":"busybox:1.36","name":"sidecar"},
                      {"$setElementOrder/ports":[{"containerPort":80}],"args":["--a"],"name":"web",
                       "ports":[{"$patch":"delete","containerPort":443}]}],
        "volumes":[{"$retainKeys":["name","secret"],"configMap":null,"name":"cfg",
                    "secret":{"secretName":"s1"}},
                   {"$patch":"delete","name":"tmp"}]}}}})";
  const Value got = Deploy(live, patch);
  const Value expected = J(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"v2"},
      "finalizers":["example.com/b"],"labels":{"app":"rich"},"name":"rich","namespace":"shop"},
    "spec":{"replicas":1,"selector":{"matchLabels":{"app":"rich"}},
      "strategy":{"type":"Recreate"},
      "template":{"metadata":{"labels":{"app":"rich"}},"spec":{
        "containers":[
          {"image":"busybox:1.36","imagePullPolicy":"Always","name":"sidecar"},
          {"args":["--a"],"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"web",
           "ports":[{"containerPort":80,"protocol":"TCP"}],
           "volumeMounts":[{"mountPath":"/etc/cfg","name":"cfg"}]}],
        "volumes":[{"name":"cfg","secret":{"secretName":"s1"}}]}}}})");
  CHECK(got == expected);
  // 22-apply-csa-unchanged: kubectl sends nothing; an empty patch is a no-op.
  CHECK(Deploy(Text(got), "{}") == got);
  CHECK(Text(Deploy(Text(got), "{}")) == Text(got));
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch: list strategies from the table.

TEST_CASE("SMP: container ports merge by containerPort", "[sim][patch]") {
  const std::string pod = R"({"spec":{"containers":[{"name":"web","ports":[
      {"containerPort":80,"protocol":"TCP"},{"containerPort":443,"protocol":"TCP"}]}]}})";
  // Existing port: merged in place.
  CHECK(Smp(pod, R"({"spec":{"containers":[{"name":"web","ports":[
            {"containerPort":80,"name":"http"}]}]}})") ==
        J(R"({"spec":{"containers":[{"name":"web","ports":[
            {"containerPort":80,"protocol":"TCP","name":"http"},
            {"containerPort":443,"protocol":"TCP"}]}]}})"));
  // New port without $setElementOrder: the library puts patch items before live-only ones.
  CHECK(Smp(pod, R"({"spec":{"containers":[{"name":"web","ports":[{"containerPort":8080}]}]}})") ==
        J(R"({"spec":{"containers":[{"name":"web","ports":[{"containerPort":8080},
            {"containerPort":80,"protocol":"TCP"},{"containerPort":443,"protocol":"TCP"}]}]}})"));
  // With $setElementOrder (what kubectl apply sends) the new port goes where the manifest has it.
  CHECK(Smp(pod, R"({"spec":{"containers":[{"name":"web",
            "$setElementOrder/ports":[{"containerPort":80},{"containerPort":443},
                                      {"containerPort":8080}],
            "ports":[{"containerPort":8080}]}]}})") ==
        J(R"({"spec":{"containers":[{"name":"web","ports":[{"containerPort":80,"protocol":"TCP"},
            {"containerPort":443,"protocol":"TCP"},{"containerPort":8080}]}]}})"));
  // SMP's single merge key: UDP 80 merges into TCP 80 (list-semantics.md section 0).
  CHECK(Smp(pod, R"({"spec":{"containers":[{"name":"web","ports":[
            {"containerPort":80,"protocol":"UDP"}]}]}})") ==
        J(R"({"spec":{"containers":[{"name":"web","ports":[
            {"containerPort":80,"protocol":"UDP"},{"containerPort":443,"protocol":"TCP"}]}]}})"));
}

TEST_CASE("SMP: args replaced whole, finalizers unioned, tolerations replaced", "[sim][patch]") {
  const std::string pod = R"({"metadata":{"finalizers":["a","b"]},
      "spec":{"tolerations":[{"key":"k1","operator":"Exists"}],
              "containers":[{"name":"web","args":["--a","--b"]}]}})";
  CHECK(Smp(pod, R"({"spec":{"containers":[{"name":"web","args":["--c"]}]}})") ==
        J(R"({"metadata":{"finalizers":["a","b"]},
              "spec":{"tolerations":[{"key":"k1","operator":"Exists"}],
                      "containers":[{"name":"web","args":["--c"]}]}})"));
  // Without $setElementOrder a value the live list lacks goes first (the library's
  // mergeSortedSlice only places live items before patch items it can compare with).
  CHECK(*Smp(pod, R"({"metadata":{"finalizers":["c"]}})").Find("metadata") ==
        J(R"({"finalizers":["c","a","b"]})"));
  CHECK(*Smp(pod, R"({"metadata":{"finalizers":["b","c"]}})").Find("metadata") ==
        J(R"({"finalizers":["a","b","c"]})"));
  // The patch order wins over the live order for items in the patch.
  CHECK(*Smp(pod, R"({"metadata":{"finalizers":["c","a"]}})").Find("metadata") ==
        J(R"({"finalizers":["c","a","b"]})"));
  CHECK(
      *Smp(pod, R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}})").Find("metadata") ==
      J(R"({"finalizers":["b"]})"));
  CHECK(Smp(pod, R"({"spec":{"tolerations":[{"key":"k2","operator":"Exists"}]}})")
            .Find("spec")
            ->Find("tolerations")
            ->items() == J(R"([{"key":"k2","operator":"Exists"}])").items());
}

TEST_CASE("SMP: volumes with $retainKeys switch the volume source", "[sim][patch]") {
  const std::string pod = R"({"spec":{"volumes":[
      {"name":"cfg","configMap":{"name":"settings","defaultMode":420}},
      {"name":"data","emptyDir":{}}]}})";
  CHECK(Smp(pod, R"({"spec":{"volumes":[{"$retainKeys":["name","secret"],"name":"cfg",
            "secret":{"secretName":"s1"}}]}})") ==
        J(R"({"spec":{"volumes":[{"name":"cfg","secret":{"secretName":"s1"}},
            {"name":"data","emptyDir":{}}]}})"));
  // Without $retainKeys both sources would stay: SMP has no idea they are a union.
  CHECK(Smp(pod, R"({"spec":{"volumes":[{"name":"cfg","secret":{"secretName":"s1"}}]}})") ==
        J(R"({"spec":{"volumes":[
            {"name":"cfg","configMap":{"name":"settings","defaultMode":420},
             "secret":{"secretName":"s1"}},
            {"name":"data","emptyDir":{}}]}})"));
  // Every patch member must be listed in $retainKeys.
  const plumbline::Error e = SmpError(pod, R"({"spec":{"volumes":[{"$retainKeys":["name"],
      "name":"cfg","secret":{"secretName":"s1"}}]}})");
  CHECK(e.code == ErrorCode::kInvalidArgument);
  CHECK(e.message == "invalid patch format of retainKeys");
}

TEST_CASE("SMP: where SMP and SSA disagree, SMP metadata decides", "[sim][patch]") {
  // Job status.conditions: atomic for SSA, merged by type for SMP.
  CHECK(Smp(R"({"status":{"conditions":[{"type":"Complete","status":"False"},
                                        {"type":"Failed","status":"False"}]}})",
            R"({"status":{"conditions":[{"type":"Failed","status":"True"}]}})", "batch",
            "Job") == J(R"({"status":{"conditions":[{"type":"Complete","status":"False"},
                                      {"type":"Failed","status":"True"}]}})"));
  // Container resources.claims: a map for SSA, replaced whole by SMP.
  CHECK(Smp(R"({"spec":{"containers":[{"name":"c","resources":{"claims":[{"name":"a"}]}}]}})",
            R"({"spec":{"containers":[{"name":"c","resources":{"claims":[{"name":"b"}]}}]}})") ==
        J(R"({"spec":{"containers":[{"name":"c","resources":{"claims":[{"name":"b"}]}}]}})"));
  // Service ports merge by port.
  CHECK(Smp(R"({"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443}]}})",
            R"({"spec":{"ports":[{"port":443,"name":"https"}]}})", "", "Service") ==
        J(R"({"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443,"name":"https"}]}})"));
}

TEST_CASE("SMP: $patch directives on maps and lists", "[sim][patch]") {
  const std::string pod = R"({"metadata":{"labels":{"a":"1","b":"2"}},
      "spec":{"containers":[{"name":"a"},{"name":"b","image":"x"}]}})";
  // $patch: replace on a map keeps only the patch; on a list item, only the patch items.
  CHECK(*Smp(pod, R"({"metadata":{"labels":{"$patch":"replace","c":"3"}}})").Find("metadata") ==
        J(R"({"labels":{"c":"3"}})"));
  CHECK(*Smp(pod, R"({"spec":{"containers":[{"$patch":"replace"},{"name":"c"}]}})").Find("spec") ==
        J(R"({"containers":[{"name":"c"}]})"));
  CHECK(*Smp(pod, R"({"spec":{"containers":[{"$patch":"replace"}]}})").Find("spec") ==
        J(R"({"containers":[]})"));
  // $patch: delete on a map empties it; on a list item, removes every item with that key.
  CHECK(*Smp(pod, R"({"metadata":{"labels":{"$patch":"delete"}}})").Find("metadata") ==
        J(R"({"labels":{}})"));
  CHECK(*Smp(pod, R"({"spec":{"containers":[{"$patch":"delete","name":"a"}]}})").Find("spec") ==
        J(R"({"containers":[{"name":"b","image":"x"}]})"));
  // Unknown $patch values and merge keys missing from items are server errors.
  const plumbline::Error bad = SmpError(pod, R"({"metadata":{"labels":{"$patch":"frob"}}})");
  CHECK(bad.code == ErrorCode::kInternal);
  CHECK(bad.message == "unknown patch type: frob in map: map[$patch:frob]");
  const plumbline::Error no_key = SmpError(pod, R"({"spec":{"containers":[{"image":"y"}]}})");
  CHECK(no_key.code == ErrorCode::kInternal);
  CHECK(no_key.message == "map: map[image:y] does not contain declared merge key: name");
  CHECK(SmpError(pod, R"({"spec":{"containers":[{"$patch":"merge","name":"a"}]}})").message ==
        "merging lists cannot yet be specified in the patch");
}

TEST_CASE("SMP: nulls and directives in inserted values", "[sim][patch]") {
  // A null for an absent key, or inside a new map, is dropped (IgnoreUnmatchedNulls).
  CHECK(Smp(R"({"metadata":{"name":"p"}})",
            R"({"metadata":{"labels":{"a":"1","b":null},"annotations":null}})") ==
        J(R"({"metadata":{"name":"p","labels":{"a":"1"}}})"));
  // Directives left in a new list item vanish, as the server's decoding drops unknown fields.
  CHECK(Smp(R"({"spec":{"containers":[{"name":"a"}]}})",
            R"({"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],
                "containers":[{"name":"b","$setElementOrder/env":[{"name":"X"}],
                               "env":[{"name":"X","value":"1"}]}]}})") ==
        J(R"({"spec":{"containers":[{"name":"a"},
            {"name":"b","env":[{"name":"X","value":"1"}]}]}})"));
  // A new list drops its "$patch: delete" items.
  CHECK(Smp(R"({"spec":{}})",
            R"({"spec":{"containers":[{"name":"hello"},{"$patch":"delete","name":"gone"}]}})") ==
        J(R"({"spec":{"containers":[{"name":"hello"}]}})"));
}

TEST_CASE("SMP: empty, null and malformed patches; custom resources are refused", "[sim][patch]") {
  const Value pod = J(R"({"metadata":{"name":"p","finalizers":["a"]},"spec":{}})");
  CHECK(*sim::ApplyStrategicMergePatch(pod, J("{}"), "", "Pod") == pod);
  CHECK(*sim::ApplyStrategicMergePatch(pod, J("null"), "", "Pod") == pod);

  const plumbline::Error array = SmpError(Text(pod), R"([{"op":"add"}])");
  CHECK(array.code == ErrorCode::kInvalidArgument);
  CHECK(array.message ==
        "json: cannot unmarshal array into Go value of type map[string]interface {}");
  CHECK(SmpError(Text(pod), R"({"metadata":{"$retainKeys":"name"}})").message ==
        "invalid patch format of retainKeys");
  CHECK(
      SmpError(Text(pod), R"({"metadata":{"$deleteFromPrimitiveListfinalizers":["a"]}})").message ==
      "invalid patch format of primitive list");
  CHECK(SmpError(Text(pod), R"({"metadata":{"$setElementOrderfinalizers":["a"]}})").message ==
        "invalid patch format of setElementOrder list");

  const plumbline::Error cr =
      SmpError(R"({"spec":{"size":1}})", R"({"spec":{"size":2}})", "example.com", "Widget");
  CHECK(cr.code == ErrorCode::kUnsupportedMediaType);
  CHECK(cr.message ==
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, "
        "application/apply-patch+yaml");
  // The CRD object itself and the scale subresource are built-in.
  CHECK(Smp(R"({"spec":{"group":"example.com"}})", R"({"spec":{"scope":"Namespaced"}})",
            "apiextensions.k8s.io", "CustomResourceDefinition") ==
        J(R"({"spec":{"group":"example.com","scope":"Namespaced"}})"));
  CHECK(Smp(R"({"spec":{"replicas":1}})", R"({"spec":{"replicas":3}})", "autoscaling", "Scale") ==
        J(R"({"spec":{"replicas":3}})"));
}

TEST_CASE("SMP: the list table carries patchStrategy and patchMergeKey", "[sim][patch]") {
  using plumbline::hashing::LookupBuiltinList;
  const auto* volumes = LookupBuiltinList("apps", "Deployment", "spec.template.spec.volumes");
  REQUIRE(volumes != nullptr);
  CHECK(volumes->patch_merge);
  CHECK(volumes->retain_keys);
  CHECK(volumes->patch_merge_key == "name");
  const auto* ports = LookupBuiltinList("", "Pod", "spec.containers[].ports");
  REQUIRE(ports != nullptr);
  CHECK(ports->patch_merge);
  CHECK_FALSE(ports->retain_keys);
  CHECK(ports->patch_merge_key == "containerPort");
  CHECK(ports->keys.size() == 2);  // SSA keys are unchanged: containerPort, protocol
  const auto* finalizers = LookupBuiltinList("", "Pod", "metadata.finalizers");
  REQUIRE(finalizers != nullptr);
  CHECK(finalizers->patch_merge);
  CHECK(finalizers->patch_merge_key.empty());
  const auto* args = LookupBuiltinList("", "Pod", "spec.containers[].args");
  REQUIRE(args != nullptr);
  CHECK_FALSE(args->patch_merge);
  const auto* claims = LookupBuiltinList("", "Pod", "spec.containers[].resources.claims");
  REQUIRE(claims != nullptr);
  CHECK(claims->type == plumbline::hashing::ListType::kMap);
  CHECK_FALSE(claims->patch_merge);
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch: upstream strategicpatch cases (patch_test.go), applied to Pod fields
// with the same strategies: mergingList -> spec.containers (merge by name), nested mergingList
// -> containers[].env, mergingIntList -> metadata.finalizers (merge, scalars),
// retainKeysMergingList
// -> spec.volumes, retainKeys map -> metadata (ownerReferences merge by uid).

namespace {

struct UpstreamCase {
  const char* description;
  const char* current;
  const char* patch;
  const char* result;
};

// {"spec":{"containers":[...]}} from a list of container JSON objects.
std::string Containers(std::string_view items) {
  return R"({"spec":{"containers":)" + std::string(items) + "}}";
}

std::string Finalizers(std::string_view items) {
  return R"({"metadata":{"finalizers":)" + std::string(items) + "}}";
}

}  // namespace

TEST_CASE("SMP: upstream merging-list cases (order, deletes, $setElementOrder)", "[sim][patch]") {
  const UpstreamCase cases[] = {
      {"preserve the order from the patch in a merging list",
       R"([{"name":"1"},{"name":"2","value":"b"},{"name":"3"}])",
       R"([{"name":"3","value":"c"},{"name":"1","value":"a"},{"name":"2","other":"x"}])",
       R"([{"name":"3","value":"c"},{"name":"1","value":"a"},{"name":"2","value":"b","other":"x"}])"},
      {"preserve the order from the patch in a merging list 2",
       R"([{"name":"1"},{"name":"2","value":"b"},{"name":"3"}])",
       R"([{"name":"3","value":"c"},{"name":"1","value":"a"}])",
       R"([{"name":"2","value":"b"},{"name":"3","value":"c"},{"name":"1","value":"a"}])"},
      {"delete all duplicate entries in a merging list",
       R"([{"name":"1"},{"name":"1"},{"name":"2","value":"a"},{"name":"3"},{"name":"3"}])",
       R"([{"name":"1","$patch":"delete"},{"name":"3","$patch":"delete"}])",
       R"([{"name":"2","value":"a"}])"},
      {"delete all items from merging list", R"([{"name":"1"},{"name":"2"}])",
       R"([{"$patch":"replace"}])", "[]"},
  };
  for (const UpstreamCase& c : cases) {
    INFO(c.description);
    CHECK(Smp(Containers(c.current), Containers(c.patch)) == J(Containers(c.result)));
  }
}

TEST_CASE("SMP: upstream three-way cases with $setElementOrder", "[sim][patch]") {
  const UpstreamCase cases[] = {
      {"nested patch merge with empty list", R"({"spec":{"containers":[{"name":"hello2"}]}})",
       R"({"spec":{"$setElementOrder/containers":[{"name":"hello"},{"name":"doesntexist"}],
           "containers":[{"name":"hello"},{"$patch":"delete","name":"doesntexist"}]}})",
       R"({"spec":{"containers":[{"name":"hello"},{"name":"hello2"}]}})"},
      {"merge lists of maps",
       R"({"spec":{"containers":[{"name":"1","other":"a"},{"name":"2","value":"2","other":"b"}]}})",
       R"({"spec":{"$setElementOrder/containers":[{"name":"4"},{"name":"1"},{"name":"2"},
           {"name":"3"}],"containers":[{"name":"4","value":"4"},{"name":"3","value":"3"}]}})",
       R"({"spec":{"containers":[{"name":"4","value":"4"},{"name":"1","other":"a"},
           {"name":"2","value":"2","other":"b"},{"name":"3","value":"3"}]}})"},
      {"add field to map in merging list with conflict",
       R"({"spec":{"containers":[{"name":"1","other":"a"},{"name":"3","value":"2","other":"b"}]}})",
       R"({"spec":{"$setElementOrder/containers":[{"name":"1"},{"name":"2"}],
           "containers":[{"name":"1","value":"1"},{"name":"2","value":"2"}]}})",
       R"({"spec":{"containers":[{"name":"1","other":"a","value":"1"},{"name":"2","value":"2"},
           {"name":"3","value":"2","other":"b"}]}})"},
      {"delete missing map from merging list with conflict",
       R"({"spec":{"containers":[{"name":"3","other":"a"}]}})",
       R"({"spec":{"$setElementOrder/containers":[{"name":"2"}],
           "containers":[{"name":"2"},{"name":"1","$patch":"delete"}]}})",
       R"({"spec":{"containers":[{"name":"2"},{"name":"3","other":"a"}]}})"},
      // The next two depend on Go's slice aliasing (see MergeSlice).
      {"add map and delete map from merging list",
       R"({"spec":{"containers":[{"name":"1"},{"name":"2","other":"b"},{"name":"4","other":"c"}]}})",
       R"({"spec":{"$setElementOrder/containers":[{"name":"2"},{"name":"3"}],
           "containers":[{"name":"3"},{"name":"1","$patch":"delete"}]}})",
       R"({"spec":{"containers":[{"name":"2","other":"b"},{"name":"4","other":"c"},
           {"name":"3"}]}})"},
      {"add map and delete map from merging list with conflict",
       R"({"spec":{"containers":[{"name":"1","other":"a"},{"name":"4","other":"c"}]}})",
       R"({"spec":{"$setElementOrder/containers":[{"name":"2"},{"name":"3"}],
           "containers":[{"name":"2"},{"name":"3"},{"name":"1","$patch":"delete"}]}})",
       R"({"spec":{"containers":[{"name":"4","other":"c"},{"name":"2"},{"name":"3"}]}})"},
      {"add field to map in merging list nested in merging list with deletion conflict",
       R"({"spec":{"containers":[{"name":"1","other":"a","env":[{"name":"2","value":"2",
           "other":"d"}]},{"name":"2","other":"b"}]}})",
       R"({"spec":{"$setElementOrder/containers":[{"name":"1"},{"name":"2"}],
           "containers":[{"$setElementOrder/env":[{"name":"2"},{"name":"1"}],"name":"1",
           "env":[{"name":"1","value":"1"}]}]}})",
       R"({"spec":{"containers":[{"name":"1","other":"a","env":[{"name":"2","value":"2",
           "other":"d"},{"name":"1","value":"1"}]},{"name":"2","other":"b"}]}})"},
      {"add and delete an item in a list and preserve order",
       R"({"spec":{"containers":[{"name":"1","other":"a"},{"name":"2","value":"2","other":"b"},
           {"name":"3","value":"3"}]}})",
       R"({"spec":{"$setElementOrder/containers":[{"name":"4"},{"name":"2"},{"name":"1"}],
           "containers":[{"name":"4","value":"4"},{"name":"3","$patch":"delete"}]}})",
       R"({"spec":{"containers":[{"name":"4","value":"4"},{"name":"2","value":"2","other":"b"},
           {"name":"1","other":"a"}]}})"},
      {"set elements order in a list with server-only items 3",
       R"({"spec":{"containers":[{"name":"1","other":"a"},{"name":"2","value":"2"},{"name":"7"},
           {"name":"9"},{"name":"8"},{"name":"3","value":"3"},{"name":"4","value":"4"}]}})",
       R"({"spec":{"$setElementOrder/containers":[{"name":"2"},{"name":"1"},{"name":"4"},
           {"name":"3"}]}})",
       R"({"spec":{"containers":[{"name":"2","value":"2"},{"name":"1","other":"a"},{"name":"7"},
           {"name":"9"},{"name":"8"},{"name":"4","value":"4"},{"name":"3","value":"3"}]}})"},
      {"behavior of set element order for a merging list with duplicate",
       R"({"spec":{"containers":[{"name":"1"},{"name":"2","value":"dup1"},{"name":"3"},
           {"name":"2","value":"dup2"},{"name":"4"}]}})",
       R"({"spec":{"$setElementOrder/containers":[{"name":"2"},{"name":"1"},{"name":"4"},
           {"name":"3"},{"name":"2"}]}})",
       R"({"spec":{"containers":[{"name":"2","value":"dup1"},{"name":"2","value":"dup2"},
           {"name":"1"},{"name":"4"},{"name":"3"}]}})"},
      {"delete and reorder in one list, reorder in another",
       R"({"spec":{"containers":[{"name":"a","value":"a"},{"name":"b","value":"b"}],
           "initContainers":[{"name":"c","value":"c"},{"name":"d","value":"d"}]}})",
       R"({"spec":{"$setElementOrder/containers":[{"name":"b"}],
           "$setElementOrder/initContainers":[{"name":"d"},{"name":"c"}],
           "containers":[{"$patch":"delete","name":"a"}]}})",
       R"({"spec":{"containers":[{"name":"b","value":"b"}],
           "initContainers":[{"name":"d","value":"d"},{"name":"c","value":"c"}]}})"},
      {"retainKeys list of maps clears a field",
       R"({"spec":{"volumes":[{"name":"bar"},{"name":"foo","value":"a","other":"x"}]}})",
       R"({"spec":{"$setElementOrder/volumes":[{"name":"bar"},{"name":"foo"}],
           "volumes":[{"$retainKeys":["name","value"],"name":"foo"}]}})",
       R"({"spec":{"volumes":[{"name":"bar"},{"name":"foo","value":"a"}]}})"},
  };
  for (const UpstreamCase& c : cases) {
    INFO(c.description);
    const Value got = Smp(c.current, c.patch);
    CHECK(got == J(c.result));
  }
}

TEST_CASE("SMP: $setElementOrder on long lists (Go's block-merge stable sort)", "[sim][patch]") {
  // 45 containers: past the 20-item insertion-sort blocks, so the merge passes run.
  std::string live = "[";
  std::string reversed = "[";
  std::string order = "[";
  for (int i = 0; i < 45; ++i) {
    const std::string name = "c" + std::to_string(i);
    live += (i == 0 ? "" : ",") + std::string(R"({"name":")") + name + R"(","image":"i"})";
    const std::string back = "c" + std::to_string(44 - i);
    reversed += (i == 0 ? "" : ",") + std::string(R"({"name":")") + back + R"(","image":"i"})";
    order += (i == 0 ? "" : ",") + std::string(R"({"name":")") + back + R"("})";
  }
  live += "]";
  reversed += "]";
  order += "]";
  CHECK(Smp(Containers(live), R"({"spec":{"$setElementOrder/containers":)" + order + "}}") ==
        J(Containers(reversed)));
  CHECK(Smp(Containers(reversed), R"({"spec":{"$setElementOrder/containers":)" + order + "}}") ==
        J(Containers(reversed)));
}

TEST_CASE("SMP: upstream lists of scalars", "[sim][patch]") {
  const UpstreamCase cases[] = {
      {"unique scalars when merging lists", R"(["1","2"])", R"({"finalizers":["2","3"]})",
       R"(["1","2","3"])"},
      {"preserve the order from the patch in a merging int list", R"(["1","2","3"])",
       R"({"finalizers":["3","1","2"]})", R"(["3","1","2"])"},
      {"preserve the order from the patch in a merging int list 2", R"(["1","2","3"])",
       R"({"finalizers":["3","1"]})", R"(["2","3","1"])"},
      {"delete items in lists of scalars", R"(["1","2","3","4"])",
       R"({"$setElementOrder/finalizers":["1","2"],"$deleteFromPrimitiveList/finalizers":["3"]})",
       R"(["1","2","4"])"},
      {"delete all duplicate items in lists of scalars", R"(["1","2","3","3","4"])",
       R"({"$setElementOrder/finalizers":["1","2"],"$deleteFromPrimitiveList/finalizers":["3"]})",
       R"(["1","2","4"])"},
      {"merge lists of scalars", R"(["1","2","4"])",
       R"({"$setElementOrder/finalizers":["1","2","3"],"finalizers":["3"]})",
       R"(["1","2","3","4"])"},
      {"add an item in a list of primitives and preserve order", R"(["1","4","2"])",
       R"({"$setElementOrder/finalizers":["3","1","2"],"finalizers":["3"]})",
       R"(["3","1","4","2"])"},
      {"delete an item in a list of primitives and preserve order", R"(["1","2","3"])",
       R"({"$setElementOrder/finalizers":["2","1"],"$deleteFromPrimitiveList/finalizers":["3"]})",
       R"(["2","1"])"},
      {"set elements order in a int list with server-only items 2", R"(["1","2","9","3","4"])",
       R"({"$setElementOrder/finalizers":["2","1","4","3"]})", R"(["2","1","9","4","3"])"},
      {"$deleteFromPrimitiveList of nonexistent item", R"(["1","2"])",
       R"({"$deleteFromPrimitiveList/finalizers":["3"]})", R"(["1","2"])"},
      {"retainKeys map adds an item and deletes an item in nested merging int list",
       R"(["1","2","3","4"])",
       R"({"$retainKeys":["finalizers","name"],"finalizers":["5"],
           "$deleteFromPrimitiveList/finalizers":["2"],
           "$setElementOrder/finalizers":["1","3","5"]})",
       R"(["1","3","5","4"])"},
  };
  for (const UpstreamCase& c : cases) {
    INFO(c.description);
    const Value got = Smp(Finalizers(c.current), R"({"metadata":)" + std::string(c.patch) + "}");
    CHECK(got == J(Finalizers(c.result)));
  }
  // $deleteFromPrimitiveList works on lists without the merge strategy, and never adds a list.
  CHECK(Smp(R"({"spec":{"containers":[{"name":"c","args":["1","2","3"]}]}})",
            R"({"spec":{"containers":[{"name":"c","$deleteFromPrimitiveList/args":["2"]}]}})") ==
        J(R"({"spec":{"containers":[{"name":"c","args":["1","3"]}]}})"));
  CHECK(Smp(R"({"metadata":{"name":"p"}})",
            R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["3"]}})") ==
        J(R"({"metadata":{"name":"p"}})"));
}

TEST_CASE("SMP: upstream retainKeys maps", "[sim][patch]") {
  // retainKeys on a map (metadata stands in for upstream's retainKeysMap).
  CHECK(Smp(R"({"metadata":{"name":"foo","namespace":"a","uid":"u"}})",
            R"({"metadata":{"$retainKeys":["name","namespace"],"namespace":"b"}})") ==
        J(R"({"metadata":{"name":"foo","namespace":"b"}})"));
  CHECK(Smp(R"({"metadata":{"name":"foo","ownerReferences":[{"uid":"a"},{"uid":"b"},
                {"uid":"x"}]}})",
            R"({"metadata":{"$retainKeys":["ownerReferences","name"],
                "$setElementOrder/ownerReferences":[{"uid":"a"}],
                "ownerReferences":[{"uid":"b","$patch":"delete"}]}})") ==
        J(R"({"metadata":{"name":"foo","ownerReferences":[{"uid":"a"},{"uid":"x"}]}})"));
  // A retained map still merges; a null deletes even when it is not retained.
  CHECK(Smp(R"({"metadata":{"name":"foo","labels":{"k1":"a","k3":"c"},"uid":"u"}})",
            R"({"metadata":{"$retainKeys":["name","labels"],"labels":{"k2":"b"},"uid":null}})") ==
        J(R"({"metadata":{"name":"foo","labels":{"k1":"a","k3":"c","k2":"b"}}})"));
}

TEST_CASE("SMP: upstream errors", "[sim][patch]") {
  const plumbline::Error order =
      SmpError(R"({"spec":{"containers":[{"name":"1"},{"name":"3"},{"name":"2"}]}})",
               R"({"spec":{"$setElementOrder/containers":[{"name":"1"},{"name":"2"},{"name":"3"}],
          "containers":[{"name":"3","value":"3"},{"name":"1","value":"1"}]}})");
  CHECK(order.code == ErrorCode::kInternal);
  CHECK_THAT(order.message, Catch::Contains("doesn't match $setElementOrder list"));
  const plumbline::Error int_order =
      SmpError(Finalizers(R"(["1","3","2"])"),
               R"({"metadata":{"$setElementOrder/finalizers":["1","2","3"],
                   "finalizers":["3","1"]}})");
  CHECK_THAT(int_order.message, Catch::Contains("doesn't match"));
  CHECK_THAT(SmpError(Containers(R"([{"name":"1","value":"a"}])"), Containers(R"([{"value":"b"}])"))
                 .message,
             Catch::Contains("does not contain declared merge key"));
  CHECK(SmpError(Containers(R"([{"name":"1"}])"), Containers(R"(["x"])")).message ==
        R"(list element types are not identical: [[map[name:1]] [x]])");
}
