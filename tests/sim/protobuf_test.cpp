#include "plumbline/sim/protobuf.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "plumbline/hashing/json.h"
#include "plumbline/hashing/value.h"
#include "plumbline/sim/defaults.h"

namespace {

using plumbline::ErrorCode;
using plumbline::hashing::ParseJson;
using plumbline::hashing::ToJson;
using plumbline::hashing::Value;
using plumbline::sim::DecodeProtobufObject;

Value Json(const std::string& text) {
  auto v = ParseJson(text);
  REQUIRE(v.has_value());
  return *v;
}

std::string FromHex(std::string_view hex) {
  std::string out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return out;
}

void CheckDecodes(const std::string& hex, const std::string& expected_json) {
  auto decoded = DecodeProtobufObject(FromHex(hex));
  INFO(hex);
  if (!decoded) {
    FAIL(decoded.error().message);
  }
  const Value expected = Json(expected_json);
  INFO("decoded:  " << ToJson(*decoded));
  INFO("expected: " << ToJson(expected));
  CHECK(*decoded == expected);
}

// A minimal protobuf writer for hand-made bodies.
std::string Varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

std::string Len(std::uint32_t field, const std::string& bytes) {
  return Varint(field << 3 | 2) + Varint(bytes.size()) + bytes;
}

std::string Int(std::uint32_t field, std::uint64_t v) { return Varint(field << 3) + Varint(v); }

std::string Envelope(const std::string& api_version, const std::string& kind,
                     const std::string& raw, const std::string& encoding = "") {
  return std::string("k8s\0", 4) + Len(1, Len(1, api_version) + Len(2, kind)) + Len(2, raw) +
         Len(3, encoding) + Len(4, "");
}

// Byte-exact bodies from kubectl v1.32.4 (kubectl-wire.md 1.5, transcripts/protobuf-samples.txt,
// and captured from `kubectl create ...` against a recording server).
constexpr const char* kNamespaceShop =
    "6b3873000a0f0a02763112094e616d657370616365121c0a140a0473686f7012001a0022002a00320038004200"
    "12001a020a001a002200";
constexpr const char* kNamespaceLabeled =
    "6b3873000a0f0a02763112094e616d65737061636512220a1a0a0a6c6162656c65642d6e7312001a0022002a00"
    "32003800420012001a020a001a002200";
constexpr const char* kConfigMapTwo =
    "6b3873000a0f0a0276311209436f6e6669674d617012270a150a017812001a0473686f7022002a003200380042"
    "0012060a016112016212060a01631201641a002200";
constexpr const char* kDeploymentWeb =
    "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412c4010a260a0377656212001a0764656661"
    "756c7422002a003200380042005a0a0a036170701203776562128b010803120c0a0a0a0361707012037765621a"
    "710a1c0a0012001a0022002a003200380042005a0a0a036170701203776562125112330a056e67696e78120a6e"
    "67696e783a312e32372a00320a0a001000185022002a0042006a007200800100880100900100a201001a003200"
    "42004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038"
    "001a002200";
constexpr const char* kDeploymentZero =
    "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412bb010a280a047a65726f12001a07646566"
    "61756c7422002a003200380042005a0b0a0361707012047a65726f1280010800120d0a0b0a0361707012047a65"
    "726f1a650a1d0a0012001a0022002a003200380042005a0b0a0361707012047a65726f124412260a0762757379"
    "626f78120762757379626f782a0042006a007200800100880100900100a201001a00320042004a005200580060"
    "0068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200";
constexpr const char* kDeploymentMulti =
    "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412e2010a2a0a056d756c746912001a076465"
    "6661756c7422002a003200380042005a0c0a0361707012056d756c746912a5010801120e0a0c0a036170701205"
    "6d756c74691a88010a1e0a0012001a0022002a003200380042005a0c0a0361707012056d756c7469126612220a"
    "056e67696e7812056e67696e782a0042006a007200800100880100900100a2010012240a057265646973120772"
    "656469733a372a0042006a007200800100880100900100a201001a00320042004a005200580060006800820100"
    "8a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200";
constexpr const char* kServiceClusterIp =
    "6b3873000a0d0a02763112075365727669636512700a260a0377656212001a0764656661756c7422002a003200"
    "380042005a0a0a03617070120377656212420a1b0a0738302d38303830120354435018502207080010903f1a00"
    "2800120a0a0361707012037765621a002209436c757374657249503a00420052005a00600068001a020a001a00"
    "2200";
constexpr const char* kServiceNodePort =
    "6b3873000a0d0a02763112075365727669636512730a240a026e7012001a0764656661756c7422002a00320038"
    "0042005a090a0361707012026e7012470a220a093434332d6874747073120354435018bb03220b080110001a05"
    "6874747073280012090a0361707012026e701a0022084e6f6465506f72743a00420052005a00600068001a020a"
    "001a002200";
constexpr const char* kSecretGeneric =
    "6b3873000a0c0a027631120653656372657412350a180a017312001a0764656661756c7422002a003200380042"
    "0012060a016112016212090a05656d70747912001a064f70617175651a002200";
constexpr const char* kSecretBinary =
    "6b3873000a0c0a0276311206536563726574122c0a1a0a0362696e12001a0764656661756c7422002a00320038"
    "004200120c0a036b6579120500fffe68691a001a002200";
constexpr const char* kConfigMapBinary =
    "6b3873000a0f0a0276311209436f6e6669674d6170122c0a1c0a0562696e636d12001a0764656661756c742200"
    "2a003200380042001a0c0a036b6579120500fffe68691a002200";
constexpr const char* kServiceAccount =
    "6b3873000a140a027631120e536572766963654163636f756e74121e0a1c0a05726f626f7412001a0764656661"
    "756c7422002a003200380042001a002200";

std::vector<std::string> AllSamples() {
  return {kNamespaceShop,  kNamespaceLabeled, kConfigMapTwo,     kDeploymentWeb,
          kDeploymentZero, kDeploymentMulti,  kServiceClusterIp, kServiceNodePort,
          kSecretGeneric,  kSecretBinary,     kConfigMapBinary,  kServiceAccount};
}

}  // namespace

TEST_CASE("protobuf bodies of kubectl create decode to their JSON", "[sim][protobuf]") {
  SECTION("namespaces and config maps (kubectl-wire.md 1.5, protobuf-samples.txt)") {
    CheckDecodes(kNamespaceShop,
                 R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}})");
    CheckDecodes(kNamespaceLabeled,
                 R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"labeled-ns"}})");
    CheckDecodes(kConfigMapTwo, R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"x","namespace":"shop"},"data":{"a":"b","c":"d"}})");
  }
  SECTION("kubectl create deployment web --image=nginx:1.27 --replicas=3 --port=80") {
    CheckDecodes(kDeploymentWeb, R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web","namespace":"default","labels":{"app":"web"}},
      "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
        "template":{"metadata":{"labels":{"app":"web"}},
          "spec":{"containers":[{"name":"nginx","image":"nginx:1.27",
                                 "ports":[{"containerPort":80}]}]}}}})");
  }
  SECTION("--replicas=0 survives: replicas is a pointer field") {
    CheckDecodes(kDeploymentZero, R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"zero","namespace":"default","labels":{"app":"zero"}},
      "spec":{"replicas":0,"selector":{"matchLabels":{"app":"zero"}},
        "template":{"metadata":{"labels":{"app":"zero"}},
          "spec":{"containers":[{"name":"busybox","image":"busybox"}]}}}})");
  }
  SECTION("two --image flags give two containers") {
    CheckDecodes(kDeploymentMulti, R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"multi","namespace":"default","labels":{"app":"multi"}},
      "spec":{"replicas":1,"selector":{"matchLabels":{"app":"multi"}},
        "template":{"metadata":{"labels":{"app":"multi"}},
          "spec":{"containers":[{"name":"nginx","image":"nginx"},
                                {"name":"redis","image":"redis:7"}]}}}})");
  }
  SECTION("kubectl create service clusterip web --tcp=80:8080 / nodeport np --tcp=443:https") {
    CheckDecodes(kServiceClusterIp, R"({"apiVersion":"v1","kind":"Service",
      "metadata":{"name":"web","namespace":"default","labels":{"app":"web"}},
      "spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080}],
              "selector":{"app":"web"},"type":"ClusterIP"}})");
    CheckDecodes(kServiceNodePort, R"({"apiVersion":"v1","kind":"Service",
      "metadata":{"name":"np","namespace":"default","labels":{"app":"np"}},
      "spec":{"ports":[{"name":"443-https","protocol":"TCP","port":443,"targetPort":"https"}],
              "selector":{"app":"np"},"type":"NodePort"}})");
  }
  SECTION("secrets and binary config map data come out base64-encoded") {
    CheckDecodes(kSecretGeneric, R"({"apiVersion":"v1","kind":"Secret",
      "metadata":{"name":"s","namespace":"default"},"data":{"a":"Yg==","empty":""},
      "type":"Opaque"})");
    CheckDecodes(kSecretBinary, R"({"apiVersion":"v1","kind":"Secret",
      "metadata":{"name":"bin","namespace":"default"},"data":{"key":"AP/+aGk="}})");
    CheckDecodes(kConfigMapBinary, R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"bincm","namespace":"default"},"binaryData":{"key":"AP/+aGk="}})");
  }
  SECTION("kubectl create serviceaccount robot") {
    CheckDecodes(kServiceAccount, R"({"apiVersion":"v1","kind":"ServiceAccount",
      "metadata":{"name":"robot","namespace":"default"}})");
  }
}

TEST_CASE("a decoded protobuf Deployment defaults like its JSON twin", "[sim][protobuf]") {
  auto decoded = DecodeProtobufObject(FromHex(kDeploymentWeb));
  REQUIRE(decoded.has_value());
  // What kubectl would send as JSON (create deployment --dry-run=client -o json).
  Value json = Json(R"({"kind":"Deployment","apiVersion":"apps/v1",
    "metadata":{"name":"web","namespace":"default","creationTimestamp":null,"labels":{"app":"web"}},
    "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},
        "spec":{"containers":[{"name":"nginx","image":"nginx:1.27","ports":[{"containerPort":80}],
                               "resources":{}}]}},
      "strategy":{}},"status":{}})");
  plumbline::sim::DefaultingContext context;
  context.uid = "u";
  context.reset_status = true;
  Value from_proto = *decoded;
  plumbline::sim::ApplyServerDefaults(from_proto, "apps", "Deployment", context);
  plumbline::sim::ApplyServerDefaults(json, "apps", "Deployment", context);
  INFO(ToJson(from_proto));
  INFO(ToJson(json));
  CHECK(from_proto == json);
}

TEST_CASE("protobuf field encodings", "[sim][protobuf]") {
  SECTION("pointer fields keep zero values, non-pointer zeros are unset") {
    const std::string meta = Len(1, "d");
    const std::string spec = Int(1, 0) + Int(6, 0) + Int(5, 0) + Int(7, 0) +
                             Len(4, Len(1, "") + Len(2, Len(1, Int(1, 0) + Int(2, 0)) +
                                                            Len(2, Int(1, 1) + Len(3, "25%"))));
    auto v = DecodeProtobufObject(Envelope("apps/v1", "Deployment", Len(1, meta) + Len(2, spec)));
    REQUIRE(v.has_value());
    CHECK(*v == Json(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
      "spec":{"replicas":0,"revisionHistoryLimit":0,
              "strategy":{"rollingUpdate":{"maxUnavailable":0,"maxSurge":"25%"}}}})"));
  }
  SECTION("negative int32 varints and int64 values") {
    const std::string spec =
        Int(1, 0xffffffffffffffffull) +
        Len(3, Len(2, Int(4, 0xffffffffffffffe2ULL) + Len(2, Len(1, "c") + Len(2, "i"))));
    auto v = DecodeProtobufObject(Envelope("apps/v1", "Deployment", Len(2, spec)));
    REQUIRE(v.has_value());
    CHECK(ToJson(*v->Find("spec")) ==
          R"({"replicas":-1,"template":{"spec":{"terminationGracePeriodSeconds":-30,)"
          R"("containers":[{"name":"c","image":"i"}]}}})");
  }
  SECTION("timestamps, owner references, finalizers, annotations") {
    const std::string meta = Len(1, "n") + Len(8, Int(1, 1700000000) + Int(2, 5)) + Int(7, 3) +
                             Len(12, Len(1, "a") + Len(2, "b")) +
                             Len(13, Len(1, "ReplicaSet") + Len(3, "rs") + Len(4, "uid") +
                                         Len(5, "apps/v1") + Int(6, 1)) +
                             Len(14, "x") + Len(14, "");
    auto v = DecodeProtobufObject(Envelope("v1", "ConfigMap", Len(1, meta)));
    REQUIRE(v.has_value());
    CHECK(*v->Find("metadata") == Json(R"({"name":"n","creationTimestamp":"2023-11-14T22:13:20Z",
      "generation":3,"annotations":{"a":"b"},"ownerReferences":[{"kind":"ReplicaSet","name":"rs",
      "uid":"uid","apiVersion":"apps/v1","controller":true}],"finalizers":["x",""]})"));
    auto far =
        DecodeProtobufObject(Envelope("v1", "ConfigMap", Len(1, Len(8, Int(1, 253402300800ULL)))));
    REQUIRE_FALSE(far.has_value());
    CHECK(far.error().code == ErrorCode::kInvalidArgument);
    auto epoch_before = DecodeProtobufObject(
        Envelope("v1", "ConfigMap", Len(1, Len(8, Int(1, static_cast<std::uint64_t>(-86400))))));
    REQUIRE(epoch_before.has_value());
    CHECK(ToJson(*epoch_before) ==
          R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"creationTimestamp":)"
          R"("1969-12-31T00:00:00Z"}})");
  }
  SECTION("invalid UTF-8 becomes U+FFFD; the last occurrence of a scalar wins") {
    const std::string meta = Len(1, "first") + Len(1, std::string("a\xff\xc3", 3)) +
                             Len(11, Len(1, "k") + Len(2, std::string("\xed\xa0\x80", 3)));
    auto v = DecodeProtobufObject(Envelope("v1", "Namespace", Len(1, meta)));
    REQUIRE(v.has_value());
    CHECK(v->Find("metadata")->GetString("name") == "a\xef\xbf\xbd\xef\xbf\xbd");
    CHECK(ToJson(*v->Find("metadata")->Find("labels")) ==
          "{\"k\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}");
  }
  SECTION("unknown fields of every wire type are skipped") {
    const std::string unknown = Int(99, 7) + Varint(100 << 3 | 1) + std::string(8, '\0') +
                                Len(101, "zz") + Varint(102 << 3 | 5) + std::string(4, '\0');
    auto v = DecodeProtobufObject(
        Envelope("v1", "Secret", unknown + Len(1, Len(1, "s") + unknown) + Len(3, "Opaque")));
    REQUIRE(v.has_value());
    CHECK(*v == Json(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},
      "type":"Opaque"})"));
  }
  SECTION("a Service with every decoded spec field") {
    const std::string port = Len(1, "p") + Len(2, "UDP") + Int(3, 53) +
                             Len(4, Int(1, 0) + Int(2, 5353)) + Int(5, 30053) + Len(6, "dns");
    const std::string spec =
        Len(1, port) + Len(2, Len(1, "a") + Len(2, "b")) + Len(3, "10.96.0.9") +
        Len(4, "LoadBalancer") + Len(5, "1.2.3.4") + Len(7, "ClientIP") + Len(11, "Local") +
        Int(12, 31000) + Int(13, 1) + Len(14, Len(1, Int(1, 60))) + Len(17, "SingleStack") +
        Len(18, "10.96.0.9") + Len(19, "IPv4") + Int(20, 0) + Len(22, "Cluster");
    auto v = DecodeProtobufObject(Envelope("v1", "Service", Len(2, spec)));
    REQUIRE(v.has_value());
    CHECK(*v->Find("spec") == Json(R"({"ports":[{"name":"p","protocol":"UDP","port":53,
      "targetPort":5353,"nodePort":30053,"appProtocol":"dns"}],"selector":{"a":"b"},
      "clusterIP":"10.96.0.9","type":"LoadBalancer","externalIPs":["1.2.3.4"],
      "sessionAffinity":"ClientIP","externalTrafficPolicy":"Local","healthCheckNodePort":31000,
      "publishNotReadyAddresses":true,"sessionAffinityConfig":{"clientIP":{"timeoutSeconds":60}},
      "ipFamilyPolicy":"SingleStack","clusterIPs":["10.96.0.9"],"ipFamilies":["IPv4"],
      "allocateLoadBalancerNodePorts":false,"internalTrafficPolicy":"Cluster"})"));
  }
}

TEST_CASE("protobuf errors", "[sim][protobuf]") {
  auto code_of = [](const std::string& body) {
    auto v = DecodeProtobufObject(body);
    REQUIRE_FALSE(v.has_value());
    CHECK_FALSE(v.error().message.empty());
    return v.error().code;
  };
  SECTION("kinds without a decoder and content encodings are unsupported media") {
    CHECK(code_of(Envelope("apps/v1", "StatefulSet", "")) == ErrorCode::kUnsupportedMediaType);
    CHECK(code_of(Envelope("v1", "Pod", "")) == ErrorCode::kUnsupportedMediaType);
    CHECK(code_of(Envelope("apps/v1beta1", "Deployment", "")) == ErrorCode::kUnsupportedMediaType);
    CHECK(code_of(Envelope("v1", "ConfigMap", "", "gzip")) == ErrorCode::kUnsupportedMediaType);
    CHECK(code_of(std::string("k8s\0", 4)) == ErrorCode::kUnsupportedMediaType);
  }
  SECTION("malformed bytes are invalid arguments") {
    CHECK(code_of("") == ErrorCode::kInvalidArgument);
    CHECK(code_of("{\"kind\":\"Namespace\"}") == ErrorCode::kInvalidArgument);
    CHECK(code_of(std::string("k8s", 3)) == ErrorCode::kInvalidArgument);
    // Wrong wire type for a known field (name as a varint).
    CHECK(code_of(Envelope("v1", "Namespace", Len(1, Int(1, 5)))) == ErrorCode::kInvalidArgument);
    // Overlong varint, length past the end, group wire type, field number 0.
    CHECK(code_of(std::string("k8s\0", 4) + std::string(11, '\xff')) ==
          ErrorCode::kInvalidArgument);
    CHECK(code_of(Envelope("v1", "Namespace", Varint(1 << 3 | 2) + Varint(1000) + "x")) ==
          ErrorCode::kInvalidArgument);
    CHECK(code_of(Envelope("v1", "Namespace", Varint(5 << 3 | 3))) == ErrorCode::kInvalidArgument);
    CHECK(code_of(Envelope("v1", "Namespace", Int(0, 1))) == ErrorCode::kInvalidArgument);
    CHECK(code_of(Envelope("v1", "ConfigMap", Len(2, Int(1, 1)))) == ErrorCode::kInvalidArgument);
    CHECK(code_of(Envelope("apps/v1", "Deployment",
                           Len(2, Len(4, Len(2, Len(1, Varint(1 << 3 | 2) + "\x05")))))) ==
          ErrorCode::kInvalidArgument);
  }
  SECTION("every truncation of every sample fails cleanly or decodes") {
    for (const std::string& hex : AllSamples()) {
      const std::string body = FromHex(hex);
      for (std::size_t n = 0; n < body.size(); ++n) {
        auto v = DecodeProtobufObject(body.substr(0, n));
        if (!v) {
          CHECK((v.error().code == ErrorCode::kInvalidArgument ||
                 v.error().code == ErrorCode::kUnsupportedMediaType));
        }
      }
    }
  }
}

TEST_CASE("protobuf decoding survives random mutations (fuzz)", "[sim][protobuf]") {
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const std::vector<std::string> samples = AllSamples();
  int decoded = 0;
  int rejected = 0;
  for (int i = 0; i < 40000; ++i) {
    std::string body = FromHex(samples[next() % samples.size()]);
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      const std::size_t at = 4 + next() % (body.size() > 4 ? body.size() - 4 : 1);
      switch (next() % 4) {
        case 0:
          if (at < body.size()) {
            body[at] = static_cast<char>(next());
          }
          break;
        case 1:
          body.insert(std::min(at, body.size()), 1, static_cast<char>(next()));
          break;
        case 2:
          if (at < body.size()) {
            body.erase(at, 1 + next() % 3);
          }
          break;
        default:
          body.resize(std::min(body.size(), at));
          break;
      }
    }
    auto v = DecodeProtobufObject(body);
    if (v) {
      ++decoded;
      CHECK(v->is_object());
    } else {
      ++rejected;
      const bool expected_code = v.error().code == ErrorCode::kInvalidArgument ||
                                 v.error().code == ErrorCode::kUnsupportedMediaType;
      CHECK(expected_code);
    }
  }
  // Pure noise behind the magic.
  for (int i = 0; i < 20000; ++i) {
    std::string body("k8s\0", 4);
    const std::size_t size = next() % 64;
    for (std::size_t k = 0; k < size; ++k) {
      body.push_back(static_cast<char>(next()));
    }
    auto v = DecodeProtobufObject(body);
    if (!v) {
      ++rejected;
    }
  }
  CHECK(decoded > 0);
  CHECK(rejected > 0);
}
