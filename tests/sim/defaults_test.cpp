#include "plumbline/sim/defaults.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "plumbline/hashing/json.h"
#include "plumbline/hashing/value.h"
#include "plumbline/render/manifest.h"

#include "live_diff.h"
#include "support/shared_dir.h"

namespace {

using plumbline::hashing::ParseJson;
using plumbline::hashing::ToJson;
using plumbline::hashing::Value;
using plumbline::sim::ApplyServerDefaults;
using plumbline::sim::CarryForwardAllocations;
using plumbline::sim::DefaultingContext;
using plumbline::sim::SerializeQuantity;

Value Json(const std::string& text) {
  auto v = ParseJson(text);
  REQUIRE(v.has_value());
  return *v;
}

// A create: status reset, cluster IPs and node ports from simple counters.
DefaultingContext CreateContext() {
  DefaultingContext context;
  context.uid = "11111111-2222-3333-4444-555555555555";
  context.reset_status = true;
  auto next_ip = std::make_shared<int>(10);
  context.allocate_cluster_ip = [next_ip] { return "10.96.0." + std::to_string((*next_ip)++); };
  auto next_port = std::make_shared<int>(30100);
  context.allocate_node_port = [next_port] { return (*next_port)++; };
  return context;
}

Value Defaulted(const std::string& text, const std::string& group, const std::string& kind,
                const DefaultingContext& context = CreateContext()) {
  Value v = Json(text);
  ApplyServerDefaults(v, group, kind, context);
  return v;
}

// Checks structural equality and shows both sides on failure.
void CheckSame(const Value& actual, const std::string& expected_json) {
  const Value expected = Json(expected_json);
  INFO("actual:   " << ToJson(actual));
  INFO("expected: " << ToJson(expected));
  CHECK(actual == expected);
}

const Value* At(const Value& v, std::initializer_list<const char*> path) {
  const Value* node = &v;
  for (const char* key : path) {
    node = node->Find(key);
    if (node == nullptr) {
      return nullptr;
    }
  }
  return node;
}

// Order-insensitive JSON comparison with both sides in the failure message.
void CheckJson(const Value* actual, const std::string& expected) {
  INFO("actual:   " << (actual != nullptr ? ToJson(*actual) : "<absent>"));
  INFO("expected: " << expected);
  REQUIRE(actual != nullptr);
  CHECK(*actual == Json(expected));
}

void CheckJson(const Value& actual, const std::string& expected) { CheckJson(&actual, expected); }

std::string JsonAt(const Value& v, std::initializer_list<const char*> path) {
  const Value* node = At(v, path);
  return node == nullptr ? "<absent>" : ToJson(*node);
}

}  // namespace

TEST_CASE("SerializeQuantity gives resource.Quantity's canonical text", "[sim][defaults]") {
  struct Case {
    const char* in;
    bool milli;
    const char* out;
  };
  const Case cases[] = {
      {"1000m", false, "1"},       {"0.5", false, "500m"},
      {"500m", false, "500m"},     {"1.5", false, "1500m"},
      {"100m", false, "100m"},     {"0.1", false, "100m"},
      {"1", false, "1"},           {"1.0", false, "1"},
      {"2000", false, "2k"},       {"1500", false, "1500"},
      {"1e3", false, "1e3"},       {"1.5e3", false, "1500"},
      {"12e2", false, "1200"},     {"1E", false, "1E"},
      {"1Gi", false, "1Gi"},       {"1024Mi", false, "1Gi"},
      {"2048Mi", false, "2Gi"},    {"1536Mi", false, "1536Mi"},
      {"30Gi", false, "30Gi"},     {"1.5Gi", false, "1536Mi"},
      {"0.5Gi", false, "512Mi"},   {"1Ki", false, "1Ki"},
      {"1000Ki", false, "1000Ki"}, {"512", false, "512"},
      {"0.5Ki", false, "512"},     {"0.3Ki", false, "307200m"},
      {"0", false, "0"},           {"0m", false, "0"},
      {"0Gi", false, "0"},         {"-1", false, "-1"},
      {"-1Gi", false, "-1Gi"},     {"-0.5", false, "-500m"},
      {"100n", false, "100n"},     {"100n", true, "1m"},
      {"0.0001", true, "1m"},      {"1.0001", true, "1001m"},
      {"-0.0001", true, "-1m"},    {"25m", true, "25m"},
      {"1536Mi", true, "1536Mi"},  {"1000000", false, "1M"},
      {"1e18", false, "1e18"},     {"1000000000000000000000", false, "1000E"},
      {"999m", true, "999m"},      {"1u", false, "1u"},
      {"1500u", false, "1500u"},
  };
  for (const Case& c : cases) {
    INFO(c.in << " milli=" << c.milli);
    auto out = SerializeQuantity(c.in, c.milli);
    REQUIRE(out.has_value());
    CHECK(*out == c.out);
  }
  for (const char* bad : {"", "abc", "1.2.3", "1Kb", "--1", " 1", "e3"}) {
    INFO(bad);
    auto out = SerializeQuantity(bad, false);
    REQUIRE_FALSE(out.has_value());
    CHECK(out.error().code == plumbline::ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("Deployment from kubectl create deployment gets every default", "[sim][defaults]") {
  // The JSON kubectl would send for `kubectl create deployment web --image=nginx --port=80`
  // (transcript 6.3 of kubectl-wire.md lists what the real server fills in).
  const Value v = Defaulted(R"({"kind":"Deployment","apiVersion":"apps/v1",
    "metadata":{"name":"web","creationTimestamp":null,"labels":{"app":"web"}},
    "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},
        "spec":{"containers":[{"name":"nginx","image":"nginx","ports":[{"containerPort":80}],
                               "resources":{}}]}},
      "strategy":{}},
    "status":{}})",
                            "apps", "Deployment");
  CheckSame(v, R"({"kind":"Deployment","apiVersion":"apps/v1",
    "metadata":{"name":"web","labels":{"app":"web"}},
    "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},
        "spec":{"containers":[{"name":"nginx","image":"nginx",
                  "ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},
                  "imagePullPolicy":"Always","terminationMessagePath":"/dev/termination-log",
                  "terminationMessagePolicy":"File"}],
                "restartPolicy":"Always","terminationGracePeriodSeconds":30,
                "dnsPolicy":"ClusterFirst","securityContext":{},
                "schedulerName":"default-scheduler"}},
      "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}},
      "revisionHistoryLimit":10,"progressDeadlineSeconds":600},
    "status":{}})");

  SECTION("a tagged image is pulled IfNotPresent, Recreate gets no rollingUpdate") {
    const Value d = Defaulted(R"({"spec":{"strategy":{"type":"Recreate"},"template":{"spec":
      {"containers":[{"name":"a","image":"nginx:1.27"},{"name":"b","image":"r/x@sha256:abc"},
                     {"name":"c","image":"nginx:latest"}]}}}})",
                              "apps", "Deployment");
    CheckJson(At(d, {"spec", "strategy"}), R"({"type":"Recreate"})");
    const auto& containers = At(d, {"spec", "template", "spec", "containers"})->items();
    CHECK(containers[0].GetString("imagePullPolicy") == "IfNotPresent");
    CHECK(containers[1].GetString("imagePullPolicy") == "IfNotPresent");
    CHECK(containers[2].GetString("imagePullPolicy") == "Always");
    CheckJson(At(d, {"spec", "replicas"}), "1");
  }
  SECTION("explicit values win; replicas 0 stays; zero omitempty fields are dropped") {
    const Value d = Defaulted(R"({"spec":{"replicas":0,"revisionHistoryLimit":0,
      "minReadySeconds":0,"paused":false,
      "strategy":{"rollingUpdate":{"maxSurge":0}},
      "template":{"spec":{"restartPolicy":"Always","terminationGracePeriodSeconds":0,
        "hostNetwork":false,"containers":[{"name":"a","image":"x","imagePullPolicy":"Never",
        "stdin":false,"ports":[{"containerPort":80,"hostPort":0,"protocol":"UDP"}]}]}}}})",
                              "apps", "Deployment");
    CheckJson(At(d, {"spec", "replicas"}), "0");
    CheckJson(At(d, {"spec", "revisionHistoryLimit"}), "0");
    CHECK(At(d, {"spec", "minReadySeconds"}) == nullptr);
    CHECK(At(d, {"spec", "paused"}) == nullptr);
    CheckJson(At(d, {"spec", "strategy", "rollingUpdate"}),
              R"({"maxSurge":0,"maxUnavailable":"25%"})");
    const Value& pod = *At(d, {"spec", "template", "spec"});
    CheckJson(At(pod, {"terminationGracePeriodSeconds"}), "0");
    CHECK(pod.Find("hostNetwork") == nullptr);
    const Value& c = pod.Find("containers")->items()[0];
    CHECK(c.GetString("imagePullPolicy") == "Never");
    CHECK(c.Find("stdin") == nullptr);
    CheckJson((*c.Find("ports")), R"([{"containerPort":80,"protocol":"UDP"}])");
  }
}

TEST_CASE("pod template defaults: probes, env, volumes, quantities", "[sim][defaults]") {
  const Value d = Defaulted(R"({"spec":{"template":{"metadata":{"labels":{"a":"b"}},"spec":{
    "serviceAccount":"legacy",
    "containers":[{"name":"c","image":"x:1",
      "livenessProbe":{"httpGet":{"port":8080},"initialDelaySeconds":0},
      "readinessProbe":{"grpc":{"port":9000},"periodSeconds":5,"timeoutSeconds":0},
      "startupProbe":{"tcpSocket":{"port":1}},
      "lifecycle":{"preStop":{"httpGet":{"port":80}}},
      "env":[{"name":"A","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}},
             {"name":"B","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu"}}},
             {"name":"C","valueFrom":{"resourceFieldRef":{"resource":"limits.memory",
                                                          "divisor":"1000000"}}}],
      "resources":{"limits":{"cpu":"1000m","memory":"1024Mi"},"requests":{"cpu":0.5,
                   "memory":"0.0001"}},
      "volumeMounts":[{"name":"v","mountPath":"/v","readOnly":false,"subPath":""}]}],
    "volumes":[{"name":"empty"},{"name":"s","secret":{"secretName":"s"}},
      {"name":"cm","configMap":{"name":"c","defaultMode":256}},
      {"name":"d","downwardAPI":{"items":[{"path":"p","fieldRef":{"fieldPath":"metadata.name"}}]}},
      {"name":"p","projected":{"sources":[{"serviceAccountToken":{"path":"t"}},
        {"downwardAPI":{"items":[{"path":"q","fieldRef":{"fieldPath":"metadata.uid"}}]}}]}},
      {"name":"h","hostPath":{"path":"/x"}},
      {"name":"e","emptyDir":{"sizeLimit":"1024Mi"}},
      {"name":"eph","ephemeral":{"volumeClaimTemplate":{"spec":{"accessModes":["ReadWriteOnce"],
        "resources":{"requests":{"storage":"1Gi"}}}}}}]}}}})",
                            "apps", "DaemonSet");
  const Value& pod = *At(d, {"spec", "template", "spec"});
  CHECK(pod.GetString("serviceAccountName") == "legacy");
  CHECK(pod.GetString("serviceAccount") == "legacy");
  const Value& c = pod.Find("containers")->items()[0];
  CheckJson((*c.Find("livenessProbe")),
            R"({"httpGet":{"port":8080,"path":"/","scheme":"HTTP"},"timeoutSeconds":1,)"
            R"("periodSeconds":10,"successThreshold":1,"failureThreshold":3})");
  CheckJson((*c.Find("readinessProbe")),
            R"({"grpc":{"port":9000,"service":""},"periodSeconds":5,"timeoutSeconds":1,)"
            R"("successThreshold":1,"failureThreshold":3})");
  CheckJson(At(c, {"lifecycle"}),
            R"({"preStop":{"httpGet":{"port":80,"path":"/","scheme":"HTTP"}}})");
  CheckJson(
      At(c, {"env"}),
      R"([{"name":"A","valueFrom":{"fieldRef":{"fieldPath":"metadata.name","apiVersion":"v1"}}},)"
      R"({"name":"B","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu","divisor":"0"}}},)"
      R"({"name":"C","valueFrom":{"resourceFieldRef":{"resource":"limits.memory","divisor":"1M"}}}])");
  // No requests-from-limits in templates (Pods only); quantities canonical, rounded to milli.
  CheckJson(At(c, {"resources"}),
            R"({"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"500m","memory":"1m"}})");
  CheckJson(At(c, {"volumeMounts"}), R"([{"name":"v","mountPath":"/v"}])");
  const auto& volumes = pod.Find("volumes")->items();
  CheckJson((volumes[0]), R"({"name":"empty","emptyDir":{}})");
  CheckJson((volumes[1]), R"({"name":"s","secret":{"secretName":"s","defaultMode":420}})");
  CheckJson((volumes[2]), R"({"name":"cm","configMap":{"name":"c","defaultMode":256}})");
  CheckJson((volumes[3]),
            R"({"name":"d","downwardAPI":{"items":[{"path":"p","fieldRef":{"fieldPath":)"
            R"("metadata.name","apiVersion":"v1"}}],"defaultMode":420}})");
  CheckJson((volumes[4]),
            R"({"name":"p","projected":{"sources":[{"serviceAccountToken":{"path":"t",)"
            R"("expirationSeconds":3600}},{"downwardAPI":{"items":[{"path":"q","fieldRef":)"
            R"({"fieldPath":"metadata.uid","apiVersion":"v1"}}]}}],"defaultMode":420}})");
  CheckJson((volumes[5]), R"({"name":"h","hostPath":{"path":"/x","type":""}})");
  CheckJson((volumes[6]), R"({"name":"e","emptyDir":{"sizeLimit":"1Gi"}})");
  CheckJson((volumes[7]),
            R"({"name":"eph","ephemeral":{"volumeClaimTemplate":{"spec":{"accessModes":)"
            R"(["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}},)"
            R"("volumeMode":"Filesystem"},"metadata":{"creationTimestamp":null}}}})");
  // Pod-only layers stay out of templates.
  CHECK(pod.Find("enableServiceLinks") == nullptr);
  CHECK(pod.Find("tolerations") == nullptr);
  CHECK(pod.Find("priority") == nullptr);
  CheckJson(At(d, {"spec", "template", "metadata"}),
            R"({"labels":{"a":"b"},"creationTimestamp":null})");
  CheckJson(At(d, {"spec", "updateStrategy"}),
            R"({"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":1,"maxSurge":0}})");
  CheckJson(At(d, {"spec", "revisionHistoryLimit"}), "10");
  CheckJson(At(d, {"status"}),
            R"({"currentNumberScheduled":0,"desiredNumberScheduled":0,"numberMisscheduled":0,)"
            R"("numberReady":0})");
}

TEST_CASE("Pod gets admission defaults, QoS class and status", "[sim][defaults]") {
  const Value pod = Defaulted(R"({"apiVersion":"v1","kind":"Pod",
    "metadata":{"name":"p","namespace":"shop"},
    "spec":{"initContainers":[{"name":"init","image":"busybox"}],
            "containers":[{"name":"c","image":"nginx:1.27",
              "resources":{"limits":{"cpu":"500m","memory":"128Mi"}}}]}})",
                              "", "Pod");
  const Value& spec = *pod.Find("spec");
  CHECK(spec.GetString("serviceAccountName") == "default");
  CHECK(spec.GetString("serviceAccount") == "default");
  CheckJson(At(spec, {"enableServiceLinks"}), "true");
  CheckJson(At(spec, {"priority"}), "0");
  CHECK(spec.GetString("preemptionPolicy") == "PreemptLowerPriority");
  CheckJson(
      At(spec, {"tolerations"}),
      R"([{"effect":"NoExecute","key":"node.kubernetes.io/not-ready","operator":"Exists",)"
      R"("tolerationSeconds":300},{"effect":"NoExecute","key":"node.kubernetes.io/unreachable",)"
      R"("operator":"Exists","tolerationSeconds":300}])");
  // Requests default to limits in Pods.
  CheckJson(
      At(spec.Find("containers")->items()[0], {"resources"}),
      R"({"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"500m","memory":"128Mi"}})");
  // The projected token volume and one mount per container, init containers included.
  const Value& volume = spec.Find("volumes")->items().back();
  const std::string name(volume.GetString("name"));
  CHECK(name.rfind("kube-api-access-", 0) == 0);
  CHECK(name.size() == 21);
  CheckJson(
      (*volume.Find("projected")),
      R"({"defaultMode":420,"sources":[{"serviceAccountToken":{"expirationSeconds":3607,)"
      R"("path":"token"}},{"configMap":{"items":[{"key":"ca.crt","path":"ca.crt"}],)"
      R"("name":"kube-root-ca.crt"}},{"downwardAPI":{"items":[{"fieldRef":{"apiVersion":"v1",)"
      R"("fieldPath":"metadata.namespace"},"path":"namespace"}]}}]})");
  const std::string mount = R"([{"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount",)"
                            R"("name":")" +
                            name + R"(","readOnly":true}])";
  CHECK(JsonAt(spec.Find("initContainers")->items()[0], {"volumeMounts"}) == mount);
  CHECK(JsonAt(spec.Find("containers")->items()[0], {"volumeMounts"}) == mount);
  // busybox (init, no resources) makes it Burstable, not Guaranteed.
  CheckJson(At(pod, {"status"}), R"({"phase":"Pending","qosClass":"Burstable"})");

  SECTION("QoS classes") {
    auto qos = [](const std::string& resources) {
      const Value p = Defaulted(
          R"({"spec":{"containers":[{"name":"c","image":"x",)" + resources + "}]}}", "", "Pod");
      return std::string(At(p, {"status"})->GetString("qosClass"));
    };
    CHECK(qos(R"("resources":{})") == "BestEffort");
    CHECK(qos(R"("resources":{"limits":{"cpu":"1","memory":"1Gi"}})") == "Guaranteed");
    CHECK(qos(R"("resources":{"limits":{"cpu":"1000m","memory":"1Gi"},)"
              R"("requests":{"cpu":"1","memory":"1024Mi"}})") == "Guaranteed");
    CHECK(qos(R"("resources":{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"500m"}})") ==
          "Burstable");
    CHECK(qos(R"("resources":{"requests":{"memory":"1Gi"}})") == "Burstable");
    CHECK(qos(R"("resources":{"limits":{"cpu":"1"}})") == "Burstable");
    CHECK(qos(R"("resources":{"requests":{"ephemeral-storage":"1Gi"}})") == "BestEffort");
  }
  SECTION("automountServiceAccountToken false, existing tolerations, hostNetwork ports") {
    const Value p = Defaulted(R"({"spec":{"automountServiceAccountToken":false,
      "hostNetwork":true,"serviceAccountName":"robot","priorityClassName":"system-node-critical",
      "tolerations":[{"operator":"Exists"}],
      "containers":[{"name":"c","image":"x","ports":[{"containerPort":9100}]}]}})",
                              "", "Pod");
    const Value& s = *p.Find("spec");
    CHECK(s.Find("volumes") == nullptr);
    CHECK(s.GetString("serviceAccount") == "robot");
    CheckJson(At(s, {"tolerations"}), R"([{"operator":"Exists"}])");
    CheckJson(At(s, {"priority"}), "2000001000");
    CheckJson(At(s.Find("containers")->items()[0], {"ports"}),
              R"([{"containerPort":9100,"protocol":"TCP","hostPort":9100}])");
  }
  SECTION("a container that already mounts the token path, mirror pods") {
    const Value p = Defaulted(R"({"spec":{"containers":[{"name":"c","image":"x","volumeMounts":
      [{"name":"mine","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}]}],
      "volumes":[{"name":"mine","secret":{"secretName":"t"}}]}})",
                              "", "Pod");
    CHECK(At(p, {"spec", "volumes"})->items().size() == 1);
    const Value mirror = Defaulted(R"({"metadata":{"annotations":{"kubernetes.io/config.mirror":
      "x"}},"spec":{"containers":[{"name":"c","image":"x"}]}})",
                                   "", "Pod");
    CHECK(At(mirror, {"spec", "serviceAccountName"}) == nullptr);
    CHECK(At(mirror, {"spec", "volumes"}) == nullptr);
  }
}

TEST_CASE("Namespace, ConfigMap, Secret, ServiceAccount", "[sim][defaults]") {
  // transcripts/03-create-namespace.txt
  CheckSame(Defaulted(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}})", "",
                      "Namespace"),
            R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop",
                "labels":{"kubernetes.io/metadata.name":"shop"}},
                "spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}})");
  // The label is forced, other finalizers are kept.
  CheckSame(Defaulted(R"({"metadata":{"name":"a","labels":{"kubernetes.io/metadata.name":"b"}},
                          "spec":{"finalizers":["x"]}})",
                      "", "Namespace"),
            R"({"metadata":{"name":"a","labels":{"kubernetes.io/metadata.name":"a"}},
                "spec":{"finalizers":["x","kubernetes"]},"status":{"phase":"Active"}})");
  // transcripts/05-create-configmap.txt: nothing added.
  CheckSame(Defaulted(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x",
                          "namespace":"shop"},"data":{"a":"b"}})",
                      "", "ConfigMap"),
            R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"shop"},
                "data":{"a":"b"}})");
  CheckSame(Defaulted(R"({"metadata":{"name":"x","labels":{},"annotations":null},"data":{},
                          "binaryData":null})",
                      "", "ConfigMap"),
            R"({"metadata":{"name":"x"}})");
  // stringData is folded into data (overwriting), never stored; type defaults to Opaque.
  CheckSame(Defaulted(R"({"metadata":{"name":"s"},"data":{"a":"eA==","b":"eQ==","n":null},
                          "stringData":{"b":"hello","c":""}})",
                      "", "Secret"),
            R"({"metadata":{"name":"s"},"data":{"a":"eA==","b":"aGVsbG8=","n":"","c":""},
                "type":"Opaque"})");
  CheckSame(Defaulted(R"({"metadata":{"name":"s"},"type":"kubernetes.io/tls","stringData":{}})", "",
                      "Secret"),
            R"({"metadata":{"name":"s"},"type":"kubernetes.io/tls"})");
  CheckSame(Defaulted(R"({"metadata":{"name":"sa"},"secrets":[]})", "", "ServiceAccount"),
            R"({"metadata":{"name":"sa"}})");
}

TEST_CASE("Service defaults and allocation", "[sim][defaults]") {
  SECTION("ClusterIP from kubectl create service clusterip") {
    CheckSame(Defaulted(R"({"kind":"Service","apiVersion":"v1","metadata":{"name":"web",
        "creationTimestamp":null,"labels":{"app":"web"}},
        "spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080}],
                "selector":{"app":"web"},"type":"ClusterIP"},"status":{"loadBalancer":{}}})",
                        "", "Service"),
              R"({"kind":"Service","apiVersion":"v1","metadata":{"name":"web",
        "labels":{"app":"web"}},
        "spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080}],
                "selector":{"app":"web"},"type":"ClusterIP","sessionAffinity":"None",
                "internalTrafficPolicy":"Cluster","ipFamilyPolicy":"SingleStack",
                "ipFamilies":["IPv4"],"clusterIP":"10.96.0.10","clusterIPs":["10.96.0.10"]},
        "status":{"loadBalancer":{}}})");
  }
  SECTION("targetPort defaults to port; a string targetPort stays a string") {
    const Value s = Defaulted(R"({"spec":{"ports":[{"port":80},{"port":81,"targetPort":"http"},
      {"port":82,"targetPort":0},{"port":83,"targetPort":""}]}})",
                              "", "Service");
    CheckJson(At(s, {"spec", "ports"}), R"([{"port":80,"protocol":"TCP","targetPort":80},)"
                                        R"({"port":81,"targetPort":"http","protocol":"TCP"},)"
                                        R"({"port":82,"targetPort":82,"protocol":"TCP"},)"
                                        R"({"port":83,"targetPort":83,"protocol":"TCP"}])");
  }
  SECTION("headless Services") {
    const Value selectorless = Defaulted(R"({"spec":{"clusterIP":"None"}})", "", "Service");
    CheckJson(At(selectorless, {"spec", "clusterIPs"}), R"(["None"])");
    CheckJson(At(selectorless, {"spec", "ipFamilyPolicy"}), R"("RequireDualStack")");
    CheckJson(At(selectorless, {"spec", "ipFamilies"}), R"(["IPv4","IPv6"])");
    const Value with_selector =
        Defaulted(R"({"spec":{"clusterIP":"None","selector":{"a":"b"}}})", "", "Service");
    CheckJson(At(with_selector, {"spec", "ipFamilyPolicy"}), R"("SingleStack")");
    CheckJson(At(with_selector, {"spec", "ipFamilies"}), R"(["IPv4"])");
  }
  SECTION("given cluster IPs are kept in step") {
    const Value a = Defaulted(R"({"spec":{"clusterIP":"10.96.5.5"}})", "", "Service");
    CheckJson(At(a, {"spec", "clusterIPs"}), R"(["10.96.5.5"])");
    const Value b = Defaulted(R"({"spec":{"clusterIPs":["fd00::5"]}})", "", "Service");
    CheckJson(At(b, {"spec", "clusterIP"}), R"("fd00::5")");
    CheckJson(At(b, {"spec", "ipFamilies"}), R"(["IPv6"])");
  }
  SECTION("NodePort: one node port per port number, requested ones kept") {
    const Value s = Defaulted(R"({"spec":{"type":"NodePort","ports":[
      {"name":"a","port":53,"protocol":"UDP"},{"name":"b","port":53,"protocol":"TCP"},
      {"name":"c","port":80},{"name":"d","port":443,"nodePort":31443},
      {"name":"e","port":80,"protocol":"UDP","nodePort":0}]}})",
                              "", "Service");
    const auto& ports = At(s, {"spec", "ports"})->items();
    CheckJson(At(ports[0], {"nodePort"}), "30100");
    CheckJson(At(ports[1], {"nodePort"}), "30100");
    CheckJson(At(ports[2], {"nodePort"}), "30101");
    CheckJson(At(ports[3], {"nodePort"}), "31443");
    CheckJson(At(ports[4], {"nodePort"}), "30101");
    CheckJson(At(s, {"spec", "externalTrafficPolicy"}), R"("Cluster")");
    CheckJson(At(s, {"spec", "internalTrafficPolicy"}), R"("Cluster")");
  }
  SECTION("a requested node port on a later item is shared with earlier items") {
    const Value s = Defaulted(R"({"spec":{"type":"NodePort","ports":[
      {"name":"a","port":53,"protocol":"UDP"},{"name":"b","port":53,"nodePort":30053}]}})",
                              "", "Service");
    CheckJson(At(s, {"spec", "ports"}),
              R"([{"name":"a","port":53,"protocol":"UDP","targetPort":53,"nodePort":30053},)"
              R"({"name":"b","port":53,"nodePort":30053,"protocol":"TCP","targetPort":53}])");
  }
  SECTION("LoadBalancer: node ports, health check port, ingress ipMode") {
    const Value s = Defaulted(R"({"spec":{"type":"LoadBalancer","externalTrafficPolicy":"Local",
      "ports":[{"port":80}]}})",
                              "", "Service");
    CheckJson(At(s, {"spec", "allocateLoadBalancerNodePorts"}), "true");
    CheckJson(At(s, {"spec", "ports"}),
              R"([{"port":80,"protocol":"TCP","targetPort":80,"nodePort":30100}])");
    CheckJson(At(s, {"spec", "healthCheckNodePort"}), "30101");
    const Value no_ports = Defaulted(R"({"spec":{"type":"LoadBalancer",
      "allocateLoadBalancerNodePorts":false,"ports":[{"port":80}]}})",
                                     "", "Service");
    CHECK(At(no_ports, {"spec", "ports"})->items()[0].Find("nodePort") == nullptr);
    CHECK(At(no_ports, {"spec", "healthCheckNodePort"}) == nullptr);
    DefaultingContext update = CreateContext();
    update.reset_status = false;
    const Value lb = Defaulted(R"({"spec":{"type":"LoadBalancer","ports":[{"port":80}]},
      "status":{"loadBalancer":{"ingress":[{"ip":"1.2.3.4"},{"hostname":"x"}]}}})",
                               "", "Service", update);
    CheckJson(At(lb, {"status"}),
              R"({"loadBalancer":{"ingress":[{"ip":"1.2.3.4","ipMode":"VIP"},{"hostname":"x"}]}})");
  }
  SECTION("ExternalName, session affinity, externalIPs") {
    CheckSame(Defaulted(R"({"spec":{"type":"ExternalName","externalName":"x.example.com"}})", "",
                        "Service"),
              R"({"metadata":{},"spec":{"type":"ExternalName","externalName":"x.example.com",
                  "sessionAffinity":"None"},"status":{"loadBalancer":{}}})");
    const Value client_ip = Defaulted(R"({"spec":{"sessionAffinity":"ClientIP"}})", "", "Service");
    CheckJson(At(client_ip, {"spec", "sessionAffinityConfig"}),
              R"({"clientIP":{"timeoutSeconds":10800}})");
    const Value none = Defaulted(
        R"({"spec":{"sessionAffinityConfig":{"clientIP":{"timeoutSeconds":5}}}})", "", "Service");
    CHECK(At(none, {"spec", "sessionAffinityConfig"}) == nullptr);
    const Value external = Defaulted(R"({"spec":{"externalIPs":["1.2.3.4"]}})", "", "Service");
    CheckJson(At(external, {"spec", "externalTrafficPolicy"}), R"("Cluster")");
  }
  SECTION("without allocators the addresses are derived from the UID") {
    DefaultingContext context;
    context.uid = "u1";
    const Value a = Defaulted(R"({"spec":{"type":"NodePort","ports":[{"port":1},{"port":2}]}})", "",
                              "Service", context);
    const Value b = Defaulted(R"({"spec":{"type":"NodePort","ports":[{"port":1},{"port":2}]}})", "",
                              "Service", context);
    CHECK(a == b);
    CHECK(At(a, {"spec", "clusterIP"})->text().rfind("10.96.", 0) == 0);
    const auto& ports = At(a, {"spec", "ports"})->items();
    const std::string p0 = ports[0].Find("nodePort")->text();
    const std::string p1 = ports[1].Find("nodePort")->text();
    CHECK(p0 != p1);
    for (const std::string& p : {p0, p1}) {
      CHECK(std::stoi(p) >= 30000);
      CHECK(std::stoi(p) <= 32767);
    }
  }
}

TEST_CASE("CarryForwardAllocations keeps allocated Service values", "[sim][defaults]") {
  const Value stored = Defaulted(R"({"spec":{"type":"LoadBalancer","externalTrafficPolicy":"Local",
    "ports":[{"name":"http","port":80},{"name":"https","port":443}]}})",
                                 "", "Service");
  SECTION("a re-applied manifest without allocations is not a change") {
    Value updated = Json(R"({"spec":{"type":"LoadBalancer","externalTrafficPolicy":"Local",
      "ports":[{"name":"https","port":443},{"name":"http","port":80}]},"status":{}})");
    CarryForwardAllocations(updated, stored, "", "Service");
    DefaultingContext context = CreateContext();
    context.reset_status = false;
    ApplyServerDefaults(updated, "", "Service", context);
    CHECK(JsonAt(updated, {"spec", "clusterIP"}) == JsonAt(stored, {"spec", "clusterIP"}));
    CHECK(JsonAt(updated, {"spec", "clusterIPs"}) == JsonAt(stored, {"spec", "clusterIPs"}));
    CHECK(JsonAt(updated, {"spec", "healthCheckNodePort"}) ==
          JsonAt(stored, {"spec", "healthCheckNodePort"}));
    const auto& new_ports = At(updated, {"spec", "ports"})->items();
    const auto& old_ports = At(stored, {"spec", "ports"})->items();
    CHECK(JsonAt(new_ports[0], {"nodePort"}) == JsonAt(old_ports[1], {"nodePort"}));
    CHECK(JsonAt(new_ports[1], {"nodePort"}) == JsonAt(old_ports[0], {"nodePort"}));
  }
  SECTION("a node port already used by another port is not copied") {
    Value updated = Json(R"({"spec":{"type":"NodePort","ports":[
      {"name":"http","port":80,"nodePort":)" +
                         At(stored, {"spec", "ports"})->items()[1].Find("nodePort")->text() +
                         R"(},{"name":"https","port":443}]}})");
    CarryForwardAllocations(updated, stored, "", "Service");
    CHECK(At(updated, {"spec", "ports"})->items()[1].Find("nodePort") == nullptr);
    CHECK(At(updated, {"spec", "healthCheckNodePort"}) == nullptr);  // not Local any more
    CHECK(At(updated, {"spec", "clusterIP"}) != nullptr);
  }
  SECTION("nothing is carried into an ExternalName Service or other kinds") {
    Value updated = Json(R"({"spec":{"type":"ExternalName","externalName":"x"}})");
    CarryForwardAllocations(updated, stored, "", "Service");
    CheckJson((updated), R"({"spec":{"type":"ExternalName","externalName":"x"}})");
    Value other = Json(R"({"spec":{}})");
    CarryForwardAllocations(other, stored, "", "Endpoints");
    CheckJson((other), R"({"spec":{}})");
  }
  SECTION("values in the new body win") {
    Value updated = Json(R"({"spec":{"type":"LoadBalancer","clusterIP":"10.96.9.9",
      "ports":[{"name":"http","port":80,"nodePort":32000}]}})");
    CarryForwardAllocations(updated, stored, "", "Service");
    CheckJson(At(updated, {"spec", "clusterIP"}), R"("10.96.9.9")");
    CheckJson(At(updated, {"spec", "ports"}), R"([{"name":"http","port":80,"nodePort":32000}])");
  }
}

TEST_CASE("Job and CronJob", "[sim][defaults]") {
  const Value job = Defaulted(R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"pi"},
    "spec":{"template":{"spec":{"restartPolicy":"Never",
      "containers":[{"name":"pi","image":"perl:5.34"}]}}}})",
                              "batch", "Job");
  const std::string uid = "11111111-2222-3333-4444-555555555555";
  const std::string labels = R"({"job-name":"pi","batch.kubernetes.io/job-name":"pi",)"
                             R"("controller-uid":")" +
                             uid + R"(","batch.kubernetes.io/controller-uid":")" + uid + R"("})";
  CHECK(JsonAt(job, {"spec", "template", "metadata", "labels"}) == labels);
  CHECK(JsonAt(job, {"metadata", "labels"}) == labels);
  CHECK(JsonAt(job, {"spec", "selector"}) ==
        R"({"matchLabels":{"batch.kubernetes.io/controller-uid":")" + uid + R"("}})");
  for (const auto& [key, value] : std::vector<std::pair<const char*, const char*>>{
           {"completions", "1"},
           {"parallelism", "1"},
           {"backoffLimit", "6"},
           {"completionMode", R"("NonIndexed")"},
           {"suspend", "false"},
           {"manualSelector", "false"},
           {"podReplacementPolicy", R"("TerminatingOrFailed")"}}) {
    INFO(key);
    CHECK(JsonAt(job, {"spec", key}) == value);
  }
  CheckJson(At(job, {"status"}), "{}");

  SECTION("own labels, manual selectors, per-index backoff, pod failure policy") {
    const Value j = Defaulted(R"({"metadata":{"name":"j","labels":{"team":"a"}},
      "spec":{"completions":5,"backoffLimitPerIndex":1,"completionMode":"Indexed",
        "podFailurePolicy":{"rules":[{"action":"Ignore","onPodConditions":[{"type":"X"}]}]},
        "template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"x"}]}}}})",
                              "batch", "Job");
    CheckJson(At(j, {"metadata", "labels"}), R"({"team":"a"})");
    CheckJson(At(j, {"spec", "parallelism"}), "1");
    CheckJson(At(j, {"spec", "completions"}), "5");
    CheckJson(At(j, {"spec", "backoffLimit"}), "2147483647");
    CheckJson(At(j, {"spec", "podReplacementPolicy"}), R"("Failed")");
    CheckJson(
        At(j, {"spec", "podFailurePolicy"}),
        R"({"rules":[{"action":"Ignore","onPodConditions":[{"type":"X","status":"True"}]}]})");
    const Value manual = Defaulted(R"({"metadata":{"name":"m"},"spec":{"manualSelector":true,
      "selector":{"matchLabels":{"x":"y"}},"template":{"metadata":{"labels":{"x":"y"}}}}})",
                                   "batch", "Job");
    CheckJson(At(manual, {"spec", "selector"}), R"({"matchLabels":{"x":"y"}})");
    CheckJson(At(manual, {"spec", "template", "metadata", "labels"}), R"({"x":"y"})");
  }
  SECTION("CronJob: its own defaults and pod template defaults, no Job defaults") {
    const Value cj = Defaulted(R"({"metadata":{"name":"c"},"spec":{"schedule":"* * * * *",
      "jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure",
        "containers":[{"name":"c","image":"x"}]}}}}}})",
                               "batch", "CronJob");
    CheckJson(At(cj, {"spec", "concurrencyPolicy"}), R"("Allow")");
    CheckJson(At(cj, {"spec", "suspend"}), "false");
    CheckJson(At(cj, {"spec", "successfulJobsHistoryLimit"}), "3");
    CheckJson(At(cj, {"spec", "failedJobsHistoryLimit"}), "1");
    CheckJson(At(cj, {"spec", "jobTemplate", "metadata"}), R"({"creationTimestamp":null})");
    const Value& job_spec = *At(cj, {"spec", "jobTemplate", "spec"});
    CHECK(job_spec.Find("completions") == nullptr);
    CHECK(job_spec.Find("backoffLimit") == nullptr);
    CHECK(job_spec.Find("selector") == nullptr);
    CheckJson(At(job_spec, {"template", "metadata"}), R"({"creationTimestamp":null})");
    CheckJson(At(job_spec, {"template", "spec", "dnsPolicy"}), R"("ClusterFirst")");
  }
}

TEST_CASE("StatefulSet, ReplicaSet, ReplicationController, PodTemplate", "[sim][defaults]") {
  const Value sts = Defaulted(R"({"spec":{"serviceName":"db","selector":{"matchLabels":{"a":"b"}},
    "template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"x"}]}},
    "volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],
      "resources":{"requests":{"storage":"1024Mi"}}}}]}})",
                              "apps", "StatefulSet");
  CheckJson(At(sts, {"spec", "podManagementPolicy"}), R"("OrderedReady")");
  CheckJson(At(sts, {"spec", "updateStrategy"}),
            R"({"type":"RollingUpdate","rollingUpdate":{"partition":0}})");
  CheckJson(At(sts, {"spec", "persistentVolumeClaimRetentionPolicy"}),
            R"({"whenDeleted":"Retain","whenScaled":"Retain"})");
  CheckJson(At(sts, {"spec", "replicas"}), "1");
  CheckJson(At(sts, {"spec", "revisionHistoryLimit"}), "10");
  CheckJson((At(sts, {"spec", "volumeClaimTemplates"})->items()[0]),
            R"({"metadata":{"name":"data","creationTimestamp":null},"spec":{"accessModes":)"
            R"(["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}},"volumeMode":)"
            R"("Filesystem"},"apiVersion":"v1","kind":"PersistentVolumeClaim",)"
            R"("status":{"phase":"Pending"}})");
  CheckJson(At(sts, {"status"}), R"({"availableReplicas":0,"replicas":0})");

  const Value given_type =
      Defaulted(R"({"spec":{"updateStrategy":{"type":"RollingUpdate"}}})", "apps", "StatefulSet");
  CheckJson(At(given_type, {"spec", "updateStrategy"}), R"({"type":"RollingUpdate"})");
  const Value on_delete =
      Defaulted(R"({"spec":{"updateStrategy":{"type":"OnDelete"}}})", "apps", "StatefulSet");
  CheckJson(At(on_delete, {"spec", "updateStrategy"}), R"({"type":"OnDelete"})");

  const Value rs = Defaulted(R"({"spec":{"template":{}}})", "apps", "ReplicaSet");
  CheckJson(At(rs, {"spec", "replicas"}), "1");
  CheckJson(At(rs, {"status"}), R"({"replicas":0})");
  CHECK(At(rs, {"metadata", "labels"}) == nullptr);

  const Value rc = Defaulted(R"({"spec":{"template":{"metadata":{"labels":{"app":"x"}}}}})", "",
                             "ReplicationController");
  CheckJson(At(rc, {"spec", "selector"}), R"({"app":"x"})");
  CheckJson(At(rc, {"metadata", "labels"}), R"({"app":"x"})");

  const Value tmpl = Defaulted(R"({"template":{"spec":{"containers":[{"name":"c","image":"x"}]}}})",
                               "", "PodTemplate");
  CheckJson(At(tmpl, {"template", "spec", "restartPolicy"}), R"("Always")");
  CHECK(At(tmpl, {"status"}) == nullptr);
}

TEST_CASE("PersistentVolumeClaim, PersistentVolume, StorageClass", "[sim][defaults]") {
  DefaultingContext context = CreateContext();
  context.default_storage_class = "standard";
  const Value pvc = Defaulted(R"({"metadata":{"name":"data"},"spec":{"accessModes":
    ["ReadWriteOnce"],"resources":{"requests":{"storage":"0.5Gi"}}}})",
                              "", "PersistentVolumeClaim", context);
  CheckSame(pvc, R"({"metadata":{"name":"data","finalizers":["kubernetes.io/pvc-protection"]},
    "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"512Mi"}},
            "volumeMode":"Filesystem","storageClassName":"standard"},
    "status":{"phase":"Pending"}})");
  const Value no_class =
      Defaulted(R"({"spec":{"storageClassName":""}})", "", "PersistentVolumeClaim", context);
  CheckJson(At(no_class, {"spec", "storageClassName"}), R"("")");
  CheckJson(At(no_class, {"spec", "resources"}), "{}");
  const Value beta = Defaulted(
      R"({"metadata":{"annotations":{"volume.beta.kubernetes.io/storage-class":"fast"}}})", "",
      "PersistentVolumeClaim", context);
  CHECK(At(beta, {"spec", "storageClassName"}) == nullptr);
  const Value no_default = Defaulted(R"({})", "", "PersistentVolumeClaim");
  CHECK(At(no_default, {"spec", "storageClassName"}) == nullptr);

  const Value pv = Defaulted(R"({"spec":{"capacity":{"storage":"10Gi"}}})", "", "PersistentVolume");
  CheckJson(At(pv, {"spec"}),
            R"({"capacity":{"storage":"10Gi"},"persistentVolumeReclaimPolicy":"Retain",)"
            R"("volumeMode":"Filesystem"})");
  CheckJson(At(pv, {"metadata", "finalizers"}), R"(["kubernetes.io/pv-protection"])");
  const Value sc = Defaulted(R"({"provisioner":"x"})", "storage.k8s.io", "StorageClass");
  CheckJson(At(sc, {"reclaimPolicy"}), R"("Delete")");
  CheckJson(At(sc, {"volumeBindingMode"}), R"("Immediate")");
}

TEST_CASE("networking, autoscaling, RBAC, discovery, coordination kinds", "[sim][defaults]") {
  SECTION("Ingress") {
    const Value ing =
        Defaulted(R"({"spec":{"rules":[{"host":"a"}]}})", "networking.k8s.io", "Ingress");
    CheckJson(At(ing, {"status"}), R"({"loadBalancer":{}})");
    CHECK(At(ing, {"spec", "ingressClassName"}) == nullptr);
    DefaultingContext context = CreateContext();
    context.default_ingress_class = "nginx";
    CHECK(JsonAt(Defaulted("{}", "networking.k8s.io", "Ingress", context),
                 {"spec", "ingressClassName"}) == R"("nginx")");
    CHECK(At(Defaulted(R"({"metadata":{"annotations":{"kubernetes.io/ingress.class":"x"}}})",
                       "networking.k8s.io", "Ingress", context),
             {"spec", "ingressClassName"}) == nullptr);
  }
  SECTION("NetworkPolicy") {
    CHECK(JsonAt(Defaulted(R"({"spec":{"ingress":[{"ports":[{"port":80}]}]}})", "networking.k8s.io",
                           "NetworkPolicy"),
                 {"spec"}) ==
          R"({"ingress":[{"ports":[{"port":80,"protocol":"TCP"}]}],"podSelector":{},)"
          R"("policyTypes":["Ingress"]})");
    CHECK(JsonAt(Defaulted(R"({"spec":{"podSelector":{"matchLabels":{"a":"b"}},
                               "egress":[{"to":[{"ipBlock":{"cidr":"0.0.0.0/0"}}]}]}})",
                           "networking.k8s.io", "NetworkPolicy"),
                 {"spec", "policyTypes"}) == R"(["Ingress","Egress"])");
    CHECK(JsonAt(Defaulted(R"({"spec":{"policyTypes":["Egress"]}})", "networking.k8s.io",
                           "NetworkPolicy"),
                 {"spec", "policyTypes"}) == R"(["Egress"])");
    CHECK(At(Defaulted("{}", "networking.k8s.io", "NetworkPolicy"), {"status"}) == nullptr);
  }
  SECTION("HorizontalPodAutoscaler v2") {
    const Value hpa = Defaulted(R"({"apiVersion":"autoscaling/v2","spec":{"maxReplicas":5,
      "scaleTargetRef":{"kind":"Deployment","name":"web"}}})",
                                "autoscaling", "HorizontalPodAutoscaler");
    CheckJson(At(hpa, {"spec", "minReplicas"}), "1");
    CheckJson(At(hpa, {"spec", "metrics"}),
              R"([{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization",)"
              R"("averageUtilization":80}}}])");
    CHECK(At(hpa, {"spec", "behavior"}) == nullptr);
    CheckJson(At(hpa, {"status"}), R"({"currentMetrics":null,"desiredReplicas":0})");
    const Value behavior = Defaulted(R"({"spec":{"behavior":{"scaleDown":{
      "stabilizationWindowSeconds":60}},"metrics":[{"type":"Pods","pods":{"metric":{"name":"q"},
      "target":{"type":"AverageValue","averageValue":"1000m"}}}]}})",
                                     "autoscaling", "HorizontalPodAutoscaler");
    CheckJson(At(behavior, {"spec", "behavior"}),
              R"({"scaleDown":{"stabilizationWindowSeconds":60,"selectPolicy":"Max","policies":)"
              R"([{"type":"Percent","value":100,"periodSeconds":15}]},"scaleUp":{"selectPolicy":)"
              R"("Max","policies":[{"type":"Pods","value":4,"periodSeconds":15},{"type":"Percent",)"
              R"("value":100,"periodSeconds":15}],"stabilizationWindowSeconds":0}})");
    CheckJson(At(behavior, {"spec", "metrics"}),
              R"([{"type":"Pods","pods":{"metric":{"name":"q"},"target":{"type":"AverageValue",)"
              R"("averageValue":"1"}}}])");
    const Value v1 = Defaulted(R"({"apiVersion":"autoscaling/v1","spec":{"maxReplicas":3}})",
                               "autoscaling", "HorizontalPodAutoscaler");
    CheckJson(At(v1, {"spec"}), R"({"maxReplicas":3,"minReplicas":1})");
    CheckJson(At(v1, {"status"}), R"({"currentReplicas":0,"desiredReplicas":0})");
  }
  SECTION("RBAC") {
    CHECK(JsonAt(Defaulted(R"({"rules":[]})", "rbac.authorization.k8s.io", "ClusterRole"),
                 {"rules"}) == "null");
    CHECK(JsonAt(Defaulted(R"({})", "rbac.authorization.k8s.io", "Role"), {"rules"}) == "null");
    const Value rb = Defaulted(R"({"roleRef":{"kind":"Role","name":"r"},"subjects":[
      {"kind":"ServiceAccount","name":"a","namespace":"n"},{"kind":"User","name":"u"},
      {"kind":"Group","name":"g","apiGroup":"custom"}]})",
                               "rbac.authorization.k8s.io", "RoleBinding");
    CheckJson((rb),
              R"({"roleRef":{"kind":"Role","name":"r","apiGroup":"rbac.authorization.k8s.io"},)"
              R"("subjects":[{"kind":"ServiceAccount","name":"a","namespace":"n"},{"kind":"User",)"
              R"("name":"u","apiGroup":"rbac.authorization.k8s.io"},{"kind":"Group","name":"g",)"
              R"("apiGroup":"custom"}],"metadata":{}})");
  }
  SECTION("Endpoints, EndpointSlice, Lease") {
    CHECK(JsonAt(Defaulted(R"({"subsets":[{"ports":[{"port":1},{"port":2,"protocol":"UDP"}]}]})",
                           "", "Endpoints"),
                 {"subsets"}) ==
          R"([{"ports":[{"port":1,"protocol":"TCP"},{"port":2,"protocol":"UDP"}]}])");
    CheckJson(
        (Defaulted(R"({"addressType":"IPv4","ports":[]})", "discovery.k8s.io", "EndpointSlice")),
        R"({"addressType":"IPv4","metadata":{},"endpoints":null,"ports":null})");
    CheckJson((Defaulted(R"({"addressType":"IPv4","ports":[{"port":80}],
                               "endpoints":[{"addresses":["10.0.0.1"]}]})",
                         "discovery.k8s.io", "EndpointSlice")),
              R"({"addressType":"IPv4","ports":[{"port":80,"name":"","protocol":"TCP"}],)"
              R"("endpoints":[{"addresses":["10.0.0.1"],"conditions":{}}],"metadata":{}})");
    CheckJson((Defaulted(R"({"metadata":{"name":"l"}})", "coordination.k8s.io", "Lease")),
              R"({"metadata":{"name":"l"},"spec":{}})");
  }
  SECTION("webhooks, PriorityClass, IngressClass, PodDisruptionBudget") {
    const Value mwc = Defaulted(R"({"webhooks":[{"name":"w","clientConfig":{"service":
      {"name":"s","namespace":"n"}},"rules":[{"operations":["CREATE"]}],"sideEffects":"None",
      "admissionReviewVersions":["v1"]}]})",
                                "admissionregistration.k8s.io", "MutatingWebhookConfiguration");
    const Value& w = At(mwc, {"webhooks"})->items()[0];
    CheckJson(At(w, {"failurePolicy"}), R"("Fail")");
    CheckJson(At(w, {"matchPolicy"}), R"("Equivalent")");
    CheckJson(At(w, {"timeoutSeconds"}), "10");
    CheckJson(At(w, {"reinvocationPolicy"}), R"("Never")");
    CheckJson(At(w, {"namespaceSelector"}), "{}");
    CheckJson(At(w, {"objectSelector"}), "{}");
    CheckJson(At(w, {"rules"}), R"([{"operations":["CREATE"],"scope":"*"}])");
    CheckJson(At(w, {"clientConfig", "service", "port"}), "443");
    CheckJson(At(Defaulted("{}", "scheduling.k8s.io", "PriorityClass"), {"preemptionPolicy"}),
              R"("PreemptLowerPriority")");
    CHECK(JsonAt(Defaulted(R"({"spec":{"parameters":{"kind":"K","name":"n"}}})",
                           "networking.k8s.io", "IngressClass"),
                 {"spec", "parameters", "scope"}) == R"("Cluster")");
    CHECK(JsonAt(Defaulted(R"({"spec":{"minAvailable":1}})", "policy", "PodDisruptionBudget"),
                 {"status"}) ==
          R"({"currentHealthy":0,"desiredHealthy":0,"disruptionsAllowed":0,"expectedPods":0})");
  }
}

TEST_CASE("CustomResourceDefinition defaults keep the schema verbatim", "[sim][defaults]") {
  const Value crd = Defaulted(R"({"apiVersion":"apiextensions.k8s.io/v1",
    "kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},
    "spec":{"group":"example.com","scope":"Namespaced","preserveUnknownFields":false,
      "names":{"plural":"widgets","kind":"Widget"},
      "versions":[{"name":"v1alpha1","served":true,"storage":false},
        {"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object",
          "properties":{"tags":{"type":"array","default":[],"items":{"type":"string"}},
            "extra":{"nullable":true,"default":null},"labels":{"type":"object","default":{}}}}}}]}})",
                              "apiextensions.k8s.io", "CustomResourceDefinition");
  CheckJson(At(crd, {"spec", "names"}),
            R"({"plural":"widgets","kind":"Widget","singular":"widget","listKind":"WidgetList"})");
  CheckJson(At(crd, {"spec", "conversion"}), R"({"strategy":"None"})");
  CHECK(At(crd, {"spec", "preserveUnknownFields"}) == nullptr);
  CheckJson(
      At(At(crd, {"spec", "versions"})->items()[1], {"schema"}),
      R"({"openAPIV3Schema":{"type":"object","properties":{"tags":{"type":"array","default":[],)"
      R"("items":{"type":"string"}},"extra":{"nullable":true,"default":null},"labels":)"
      R"({"type":"object","default":{}}}}})");
  CheckJson(
      At(crd, {"status"}),
      R"({"acceptedNames":{"kind":"","plural":""},"conditions":null,"storedVersions":["v1"]})");
  const Value webhook = Defaulted(R"({"spec":{"names":{"kind":"X"},"conversion":{"strategy":
    "Webhook","webhook":{"clientConfig":{"service":{"name":"s","namespace":"n"}}}}}})",
                                  "apiextensions.k8s.io", "CustomResourceDefinition");
  CHECK(JsonAt(webhook, {"spec", "conversion", "webhook", "clientConfig", "service", "port"}) ==
        "443");
  CheckJson(At(webhook, {"spec", "versions"}), "null");
}

TEST_CASE("status handling on create and update", "[sim][defaults]") {
  const std::string body = R"({"spec":{"template":{}},"status":{"replicas":3,"readyReplicas":2}})";
  const Value created = Defaulted(body, "apps", "Deployment");
  CheckJson(At(created, {"status"}), "{}");
  DefaultingContext update = CreateContext();
  update.reset_status = false;
  const Value updated = Defaulted(body, "apps", "Deployment", update);
  CheckJson(At(updated, {"status"}), R"({"replicas":3,"readyReplicas":2})");
  const Value rs = Defaulted(R"({"status":{"readyReplicas":1}})", "apps", "ReplicaSet", update);
  CheckJson(At(rs, {"status"}), R"({"readyReplicas":1,"replicas":0})");
  const Value svc = Defaulted(R"({"status":{}})", "", "Service", update);
  CheckJson(At(svc, {"status"}), R"({"loadBalancer":{}})");
  const Value pod = Defaulted(R"({"spec":{},"status":{"phase":"Running","podIP":"10.0.0.1"}})", "",
                              "Pod", update);
  CheckJson(At(pod, {"status"}),
            R"({"phase":"Running","podIP":"10.0.0.1","qosClass":"BestEffort"})");
}

TEST_CASE("serialization artifacts: nulls, empty lists and maps, zero values", "[sim][defaults]") {
  const Value d = Defaulted(R"({"metadata":{"name":"x","labels":{},"annotations":{"a":null},
    "finalizers":[],"creationTimestamp":null},
    "spec":{"selector":null,"template":{"metadata":{"labels":{"a":"b"}},"spec":{
      "nodeSelector":{},"containers":[{"name":"c","image":"x","args":[],"command":null,
        "resources":{"limits":{},"requests":null}}]}}}})",
                            "apps", "Deployment");
  CheckJson(At(d, {"metadata"}), R"({"name":"x","annotations":{"a":""}})");
  CHECK(At(d, {"spec", "selector"}) == nullptr);
  const Value& pod = *At(d, {"spec", "template", "spec"});
  CHECK(pod.Find("nodeSelector") == nullptr);
  const Value& c = pod.Find("containers")->items()[0];
  CHECK(c.Find("args") == nullptr);
  CHECK(c.Find("command") == nullptr);
  CheckJson(At(c, {"resources"}), "{}");
}

TEST_CASE("unknown kinds and malformed bodies are left alone", "[sim][defaults]") {
  const std::string custom = R"({"apiVersion":"example.com/v1","kind":"Widget",
    "metadata":{"name":"w","labels":{}},"spec":{"list":[],"x":null}})";
  const Value untouched = Defaulted(custom, "example.com", "Widget");
  CHECK(untouched == Json(custom));
  CHECK(Defaulted(custom, "apps", "Widget") == Json(custom));

  // Wrong JSON types where objects and lists belong: nothing crashes, nothing is invented.
  const char* kinds[][2] = {{"", "Pod"},
                            {"", "Service"},
                            {"apps", "Deployment"},
                            {"apps", "StatefulSet"},
                            {"batch", "Job"},
                            {"batch", "CronJob"},
                            {"", "Secret"},
                            {"", "Namespace"},
                            {"", "PersistentVolumeClaim"},
                            {"autoscaling", "HorizontalPodAutoscaler"},
                            {"apiextensions.k8s.io", "CustomResourceDefinition"},
                            {"discovery.k8s.io", "EndpointSlice"}};
  const char* bodies[] = {
      R"({"spec":"x","metadata":"y","status":1})",
      R"({"spec":{"template":"x","jobTemplate":[],"ports":"x","containers":5}})",
      R"({"spec":{"template":{"metadata":1,"spec":{"containers":["x",1,null,{"ports":[1,"a"],
        "resources":"x","env":[{"valueFrom":3}],"livenessProbe":[]}],"volumes":[7]}}}})",
      R"({"spec":{"containers":[{"resources":{"limits":{"cpu":"abc"}},"image":5}],
        "tolerations":"x","volumes":{},"type":7,"selector":[],"clusterIPs":"x"}})",
      R"({"stringData":[],"data":"x","metadata":{"name":5,"labels":[]},"spec":{"names":1,
        "versions":{},"metrics":"x","behavior":[],"ports":[{"port":"x","nodePort":"y"}]}})",
      R"([1,2,3])",
      R"("scalar")",
  };
  for (const auto& kind : kinds) {
    for (const char* body : bodies) {
      INFO(kind[1] << " " << body);
      Value v = Json(body);
      ApplyServerDefaults(v, kind[0], kind[1], CreateContext());
      Value again = v;
      ApplyServerDefaults(again, kind[0], kind[1], CreateContext());
      CHECK(again == v);
    }
  }
}

namespace {

using plumbline::testing::live_diff::Comparable;
using plumbline::testing::live_diff::DiffValues;

Value LoadManifest(const std::string& path) {
  auto manifests = plumbline::render::ReadManifestFile(path, path);
  REQUIRE(manifests.has_value());
  REQUIRE(manifests->size() == 1);
  return (*manifests)[0].object;
}

std::vector<std::string> DiffAgainstLive(Value config, const Value& live) {
  const std::string api(config.GetString("apiVersion"));
  const auto slash = api.find('/');
  const std::string group = slash == std::string::npos ? "" : api.substr(0, slash);
  ApplyServerDefaults(config, group, config.GetString("kind"), CreateContext());
  std::vector<std::string> diffs;
  DiffValues(Comparable(config), Comparable(live), "", diffs);
  return diffs;
}

struct LivePair {
  const char* config;
  const char* live;
  // Every difference, each explained: the live objects come from older servers, were edited
  // after the Git version, or were trimmed by hand for gitops-engine's own tests.
  std::vector<std::string> expected;
  bool check_extras = true;  // false: the live file is hand-written and omits server defaults
};

}  // namespace

TEST_CASE("defaulted Git objects reproduce the gitops-engine live objects", "[sim][defaults]") {
  PLUMBLINE_SKIP_WITHOUT_SHARED(shared);
  const std::string dir = shared + "/testdata/gitops-engine/";
  const std::vector<LivePair> pairs = {
      // The clusterrole-aggregation controller fills rules (section 12).
      {"aggr-clusterrole-config.json", "aggr-clusterrole-live.json", {"differs .rules"}},
      // VAR2 was added to the live object after the apply (not in last-applied).
      {"deployment-config.json",
       "deployment-live.json",
       {"missing .spec.template.spec.containers[name=guestbook-ui].env[name=VAR2]"}},
      // apps/v1beta1 on a 2018 server: no volumeClaimTemplates apiVersion/kind (kubernetes
      // #87583), no volumeMode, no persistentVolumeClaimRetentionPolicy (1.23+).
      {"elasticsearch-config.json",
       "elasticsearch-live.json",
       {"extra .spec.volumeClaimTemplates[0].spec.volumeMode",
        "extra .spec.volumeClaimTemplates[0].apiVersion",
        "extra .spec.volumeClaimTemplates[0].kind",
        "extra .spec.persistentVolumeClaimRetentionPolicy"}},
      {"endpoints-config.json", "endpoints-live.json", {}},
      {"grafana-clusterrole-config.json", "grafana-clusterrole-live.json", {}},
      // admissionregistration v1beta1 defaults (Exact, 30 s, Unknown, [v1beta1]); caBundle
      // injected by cert-manager.
      {"mutatingwebhookconfig-config.json",
       "mutatingwebhookconfig-live.json",
       {"differs .webhooks[name=webhook.cert-manager.io].admissionReviewVersions",
        "missing .webhooks[name=webhook.cert-manager.io].clientConfig.caBundle",
        "differs .webhooks[name=webhook.cert-manager.io].matchPolicy",
        "differs .webhooks[name=webhook.cert-manager.io].sideEffects",
        "differs .webhooks[name=webhook.cert-manager.io].timeoutSeconds"}},
      // A custom resource: no defaults.
      {"sealedsecret-config.json", "sealedsecret-live.json", {}},
      // Token secret created by the pre-1.24 token controller.
      {"spinnaker-sa-config.json", "spinnaker-sa-live.json", {"missing .secrets"}},
      // A 2018 server returned an empty Secret value as null; current ones return "".
      {"wordpress-config.json", "wordpress-live.json", {"differs .data.smtp-password"}},
      {"smd-deploy-config.yaml", "smd-deploy-live.yaml", {}},
      // Port 8080 and requests were added by another field manager.
      {"smd-deploy2-config.yaml",
       "smd-deploy2-live.yaml",
       {"missing .spec.template.spec.containers[name=nginx].ports[containerPort=8080/TCP]",
        "missing .spec.template.spec.containers[name=nginx].resources.requests"}},
      // Hand-written live objects without the serialization artifacts; metrics port removed.
      {"ssd-deploy-composite-key-config.yaml",
       "ssd-deploy-composite-key-live.yaml",
       {"extra .spec.template.spec.containers[name=nginx].ports[name=metrics]"},
       false},
      {"ssd-deploy-nested-config.yaml", "ssd-deploy-nested-live.yaml", {}, false},
      // A container added and a port removed by a manual apply.
      {"ssd-deploy-with-manual-apply-config.yaml",
       "ssd-deploy-with-manual-apply-live.yaml",
       {"extra .spec.template.spec.containers[name=main-container].ports[name=https]",
        "missing .spec.template.spec.containers[name=idle]"}},
      // targetPort changed in Git after the sync; internalTrafficPolicy was trimmed from the
      // fixture (its managedFields still list f:internalTrafficPolicy).
      {"smd-service-config.yaml",
       "smd-service-live.yaml",
       {"differs .spec.ports[name=rtmp].targetPort", "extra .spec.internalTrafficPolicy"}},
      {"ssd-service-config.yaml", "ssd-service-live.yaml", {}},
      // The live label was added by another manager.
      {"ssd-svc-no-label-config.yaml",
       "ssd-svc-label-live.yaml",
       {"missing .metadata.labels.delete-me"}},
  };
  for (const LivePair& pair : pairs) {
    INFO(pair.config << " vs " << pair.live);
    const Value config = LoadManifest(dir + pair.config);
    const Value live = LoadManifest(dir + pair.live);
    std::vector<std::string> diffs = DiffAgainstLive(config, live);
    std::set<std::string> actual;
    for (const std::string& d : diffs) {
      if (!pair.check_extras && d.rfind("extra ", 0) == 0 &&
          std::find(pair.expected.begin(), pair.expected.end(), d) == pair.expected.end()) {
        continue;
      }
      // Compare "kind path" only; the values are in the message for humans.
      actual.insert(d.substr(0, d.find(':')));
    }
    const std::set<std::string> expected(pair.expected.begin(), pair.expected.end());
    std::string all;
    for (const std::string& d : diffs) {
      all += "\n  " + d;
    }
    INFO("differences:" << all);
    CHECK(actual == expected);
  }

  SECTION("a NodePort Service gets the live node port fields") {
    Value config = LoadManifest(dir + "smd-service-config.yaml");
    config.Find("spec")->Set("type", Value::String("NodePort"));
    std::vector<std::string> diffs =
        DiffAgainstLive(config, LoadManifest(dir + "smd-service-live-with-type.yaml"));
    std::set<std::string> actual;
    for (const std::string& d : diffs) {
      actual.insert(d.substr(0, d.find(':')));
    }
    CHECK(actual == std::set<std::string>{"differs .spec.ports[name=rtmp].targetPort",
                                          "extra .spec.internalTrafficPolicy"});
  }
}

TEST_CASE("ApplyServerDefaults is idempotent", "[sim][defaults]") {
  PLUMBLINE_SKIP_WITHOUT_SHARED(shared);
  const std::string dir = shared + "/testdata/gitops-engine/";
  for (const char* file :
       {"aggr-clusterrole-config.json", "deployment-config.json", "elasticsearch-config.json",
        "endpoints-config.json", "grafana-clusterrole-config.json",
        "mutatingwebhookconfig-config.json", "spinnaker-sa-config.json", "wordpress-config.json",
        "smd-deploy2-config.yaml", "ssd-deploy-nested-config.yaml", "smd-service-config-ports.yaml",
        "ssd-service-config.yaml"}) {
    INFO(file);
    Value v = LoadManifest(dir + file);
    const std::string api(v.GetString("apiVersion"));
    const auto slash = api.find('/');
    const std::string group = slash == std::string::npos ? "" : api.substr(0, slash);
    const std::string kind(v.GetString("kind"));
    ApplyServerDefaults(v, group, kind, CreateContext());
    Value again = v;
    DefaultingContext update = CreateContext();
    update.reset_status = false;
    ApplyServerDefaults(again, group, kind, update);
    CHECK(ToJson(again) == ToJson(v));
  }
  // Pods: the token volume, mounts and tolerations are not added twice.
  Value pod = Json(R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x",
    "resources":{"limits":{"cpu":"1"}}}]}})");
  ApplyServerDefaults(pod, "", "Pod", CreateContext());
  Value again = pod;
  ApplyServerDefaults(again, "", "Pod", CreateContext());
  CHECK(ToJson(again) == ToJson(pod));
  Value job = Json(R"({"metadata":{"name":"j"},"spec":{"template":{"spec":{"containers":[]}}}})");
  ApplyServerDefaults(job, "batch", "Job", CreateContext());
  Value job_again = job;
  ApplyServerDefaults(job_again, "batch", "Job", CreateContext());
  CHECK(ToJson(job_again) == ToJson(job));
}

namespace {

// Every node of the tree, depth-first, for picking mutation points.
void CollectNodes(Value& v, std::vector<Value*>& out) {
  out.push_back(&v);
  if (v.is_object()) {
    for (auto& member : v.members()) {
      CollectNodes(member.second, out);
    }
  } else if (v.is_array()) {
    for (Value& item : v.items()) {
      CollectNodes(item, out);
    }
  }
}

}  // namespace

TEST_CASE("ApplyServerDefaults survives random mutations and stays idempotent (fuzz)",
          "[sim][defaults]") {
  const std::vector<std::pair<std::string, std::string>> seeds = {
      {"Pod", R"({"metadata":{"name":"p"},"spec":{"hostNetwork":true,"initContainers":[{"name":"i",
        "image":"x"}],"containers":[{"name":"c","image":"x","ports":[{"containerPort":1}],
        "resources":{"limits":{"cpu":"1"}},"livenessProbe":{"httpGet":{"port":1}},
        "env":[{"name":"e","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu"}}}]}],
        "volumes":[{"name":"v"},{"name":"s","secret":{}},{"name":"p","projected":{"sources":
        [{"serviceAccountToken":{}}]}}],"tolerations":[{"key":"k"}]}})"},
      {"Service", R"({"spec":{"type":"LoadBalancer","externalTrafficPolicy":"Local",
        "clusterIPs":["10.96.0.3"],"sessionAffinity":"ClientIP","selector":{"a":"b"},
        "ports":[{"name":"a","port":1},{"name":"b","port":1,"nodePort":30001}]},
        "status":{"loadBalancer":{"ingress":[{"ip":"1.1.1.1"}]}}})"},
      {"Job", R"({"metadata":{"name":"j","labels":{}},"spec":{"podFailurePolicy":{"rules":
        [{"onPodConditions":[{}]}]},"template":{"metadata":{"labels":{"a":"b"}},"spec":
        {"containers":[{"name":"c","image":"x"}]}}}})"},
      {"StatefulSet", R"({"spec":{"updateStrategy":{},"volumeClaimTemplates":[{"spec":
        {"resources":{"requests":{"storage":"1Gi"}}}}],"template":{"spec":{"containers":[]}}}})"},
      {"HorizontalPodAutoscaler", R"({"spec":{"behavior":{"scaleUp":{"policies":[]}},
        "metrics":[{"type":"Resource","resource":{"target":{"averageValue":"0.5"}}}]}})"},
      {"CustomResourceDefinition", R"({"spec":{"names":{"kind":"K"},"versions":[{"name":"v1",
        "storage":true,"schema":{"openAPIV3Schema":{"default":[]}}}]}})"},
  };
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {"", "Pod"},
      {"", "Service"},
      {"batch", "Job"},
      {"apps", "StatefulSet"},
      {"autoscaling", "HorizontalPodAutoscaler"},
      {"apiextensions.k8s.io", "CustomResourceDefinition"}};
  const char* replacements[] = {"null", "0",   "1",    "\"\"",          "\"x\"", "[]",
                                "{}",   "[1]", "true", R"({"a":null})", "[{}]",  "-5"};
  std::uint64_t state = 42;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  for (int i = 0; i < 20000; ++i) {
    const std::size_t k = next() % seeds.size();
    Value v = Json(seeds[k].second);
    const int edits = 1 + static_cast<int>(next() % 3);
    for (int e = 0; e < edits; ++e) {
      std::vector<Value*> nodes;
      CollectNodes(v, nodes);
      *nodes[next() % nodes.size()] =
          Json(replacements[next() % (sizeof(replacements) / sizeof(replacements[0]))]);
    }
    // Run it as every covered kind, not only its own: wrong-kind bodies are malformed input too.
    const auto& [group, kind] = next() % 4 == 0 ? kinds[next() % kinds.size()] : kinds[k];
    INFO(kind << " " << ToJson(v));
    ApplyServerDefaults(v, group, kind, CreateContext());
    Value again = v;
    DefaultingContext update = CreateContext();
    update.reset_status = false;
    ApplyServerDefaults(again, group, kind, update);
    // Member order may change (a dropped null re-added last); kubectl prints keys sorted.
    INFO(ToJson(again));
    CHECK(again == v);
  }
}
