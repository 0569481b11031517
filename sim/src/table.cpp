// Server-side Table output (kubectl get): the columns kube-apiserver's printers produce.
#include <algorithm>

#include "api_internal.h"

namespace plumbline::sim {

using hashing::Value;

namespace {

struct Column {
  const char* name;
  const char* type;
  const char* format;
  int priority;
};

std::string Str(const Value* v) { return v != nullptr ? v->text() : std::string(); }

const Value* At(const Value& obj, std::initializer_list<const char*> path) {
  const Value* node = &obj;
  for (const char* k : path) {
    node = node->Find(k);
    if (node == nullptr) {
      return nullptr;
    }
  }
  return node;
}

long long Int(const Value* v) {
  return v != nullptr && v->is_number() ? std::strtoll(v->text().c_str(), nullptr, 10) : 0;
}

std::string Age(const Value& obj, const std::string& now) {
  const Value* ts = At(obj, {"metadata", "creationTimestamp"});
  if (ts == nullptr || !ts->is_string()) {
    return "<unknown>";
  }
  auto created = ParseTime(ts->text());
  auto current = ParseTime(now);
  if (!created || !current) {
    return "<unknown>";
  }
  return HumanDuration(static_cast<long long>(*current - *created));
}

std::string Selector(const Value* sel) {
  if (sel == nullptr) {
    return "<none>";
  }
  const Value* ml = sel->Find("matchLabels");
  std::string out;
  if (ml != nullptr && ml->is_object()) {
    for (const auto& [k, v] : ml->members()) {
      out += (out.empty() ? "" : ",") + k + "=" + v.text();
    }
  } else if (sel->is_object() && sel->Find("matchExpressions") == nullptr) {
    for (const auto& [k, v] : sel->members()) {
      if (v.is_string()) {
        out += (out.empty() ? "" : ",") + k + "=" + v.text();
      }
    }
  }
  return out.empty() ? "<none>" : out;
}

void Containers(const Value& obj, std::initializer_list<const char*> pod_spec, std::string& names,
                std::string& images) {
  const Value* spec = At(obj, pod_spec);
  const Value* containers = spec != nullptr ? spec->Find("containers") : nullptr;
  if (containers == nullptr || !containers->is_array()) {
    return;
  }
  for (const auto& c : containers->items()) {
    names += (names.empty() ? "" : ",") + std::string(c.GetString("name"));
    images += (images.empty() ? "" : ",") + std::string(c.GetString("image"));
  }
}

std::vector<Column> ColumnsFor(const std::string& kind) {
  if (kind == "Deployment") {
    return {{"Name", "string", "name", 0},   {"Ready", "string", "", 0},
            {"Up-to-date", "string", "", 0}, {"Available", "string", "", 0},
            {"Age", "string", "", 0},        {"Containers", "string", "", 1},
            {"Images", "string", "", 1},     {"Selector", "string", "", 1}};
  }
  if (kind == "StatefulSet") {
    return {{"Name", "string", "name", 0},
            {"Ready", "string", "", 0},
            {"Age", "string", "", 0},
            {"Containers", "string", "", 1},
            {"Images", "string", "", 1}};
  }
  if (kind == "ReplicaSet") {
    return {{"Name", "string", "name", 0}, {"Desired", "integer", "", 0},
            {"Current", "integer", "", 0}, {"Ready", "integer", "", 0},
            {"Age", "string", "", 0},      {"Containers", "string", "", 1},
            {"Images", "string", "", 1},   {"Selector", "string", "", 1}};
  }
  if (kind == "DaemonSet") {
    return {{"Name", "string", "name", 0},      {"Desired", "integer", "", 0},
            {"Current", "integer", "", 0},      {"Ready", "integer", "", 0},
            {"Up-to-date", "integer", "", 0},   {"Available", "integer", "", 0},
            {"Node Selector", "string", "", 0}, {"Age", "string", "", 0}};
  }
  if (kind == "Service") {
    return {{"Name", "string", "name", 0},   {"Type", "string", "", 0},
            {"Cluster-IP", "string", "", 0}, {"External-IP", "string", "", 0},
            {"Port(s)", "string", "", 0},    {"Age", "string", "", 0},
            {"Selector", "string", "", 1}};
  }
  if (kind == "ConfigMap") {
    return {{"Name", "string", "name", 0}, {"Data", "integer", "", 0}, {"Age", "string", "", 0}};
  }
  if (kind == "Secret") {
    return {{"Name", "string", "name", 0},
            {"Type", "string", "", 0},
            {"Data", "integer", "", 0},
            {"Age", "string", "", 0}};
  }
  if (kind == "Namespace") {
    return {{"Name", "string", "name", 0}, {"Status", "string", "", 0}, {"Age", "string", "", 0}};
  }
  if (kind == "ServiceAccount") {
    return {{"Name", "string", "name", 0}, {"Secrets", "integer", "", 0}, {"Age", "string", "", 0}};
  }
  if (kind == "Pod") {
    return {{"Name", "string", "name", 0},
            {"Ready", "string", "", 0},
            {"Status", "string", "", 0},
            {"Restarts", "string", "", 0},
            {"Age", "string", "", 0}};
  }
  if (kind == "Job") {
    return {{"Name", "string", "name", 0},
            {"Status", "string", "", 0},
            {"Completions", "string", "", 0},
            {"Duration", "string", "", 0},
            {"Age", "string", "", 0}};
  }
  if (kind == "CronJob") {
    return {{"Name", "string", "name", 0}, {"Schedule", "string", "", 0},
            {"Timezone", "string", "", 0}, {"Suspend", "boolean", "", 0},
            {"Active", "integer", "", 0},  {"Last Schedule", "string", "", 0},
            {"Age", "string", "", 0}};
  }
  if (kind == "HorizontalPodAutoscaler") {
    return {{"Name", "string", "name", 0}, {"Reference", "string", "", 0},
            {"Targets", "string", "", 0},  {"MinPods", "string", "", 0},
            {"MaxPods", "integer", "", 0}, {"Replicas", "integer", "", 0},
            {"Age", "string", "", 0}};
  }
  return {{"Name", "string", "name", 0}, {"Created At", "date", "", 0}};
}

Value Cells(const std::string& kind, const Value& obj, const std::string& now) {
  Value c = Value::MakeArray();
  auto s = [&](std::string v) { c.items().push_back(Value::String(std::move(v))); };
  auto n = [&](long long v) { c.items().push_back(Value::Int(v)); };
  const std::string name(
      At(obj, {"metadata", "name"}) != nullptr ? At(obj, {"metadata", "name"})->text() : "");
  s(name);
  if (kind == "Deployment" || kind == "StatefulSet") {
    const long long desired =
        At(obj, {"spec", "replicas"}) != nullptr ? Int(At(obj, {"spec", "replicas"})) : 1;
    s(std::to_string(Int(At(obj, {"status", "readyReplicas"}))) + "/" + std::to_string(desired));
    if (kind == "Deployment") {
      n(Int(At(obj, {"status", "updatedReplicas"})));
      n(Int(At(obj, {"status", "availableReplicas"})));
    }
    s(Age(obj, now));
    std::string names;
    std::string images;
    Containers(obj, {"spec", "template", "spec"}, names, images);
    s(names);
    s(images);
    if (kind == "Deployment") {
      s(Selector(At(obj, {"spec", "selector"})));
    }
  } else if (kind == "ReplicaSet") {
    n(Int(At(obj, {"spec", "replicas"})));
    n(Int(At(obj, {"status", "replicas"})));
    n(Int(At(obj, {"status", "readyReplicas"})));
    s(Age(obj, now));
    std::string names;
    std::string images;
    Containers(obj, {"spec", "template", "spec"}, names, images);
    s(names);
    s(images);
    s(Selector(At(obj, {"spec", "selector"})));
  } else if (kind == "DaemonSet") {
    for (const char* f : {"desiredNumberScheduled", "currentNumberScheduled", "numberReady",
                          "updatedNumberScheduled", "numberAvailable"}) {
      n(Int(At(obj, {"status", f})));
    }
    s(Selector(At(obj, {"spec", "template", "spec", "nodeSelector"})));
    s(Age(obj, now));
  } else if (kind == "Service") {
    const std::string type = Str(At(obj, {"spec", "type"}));
    s(type.empty() ? "ClusterIP" : type);
    const std::string ip = Str(At(obj, {"spec", "clusterIP"}));
    s(ip.empty() ? "<none>" : ip);
    s("<none>");
    std::string ports;
    if (const Value* p = At(obj, {"spec", "ports"}); p != nullptr && p->is_array()) {
      for (const auto& port : p->items()) {
        std::string entry = Str(port.Find("port"));
        if (const Value* np = port.Find("nodePort")) {
          entry += ":" + np->text();
        }
        const std::string proto = Str(port.Find("protocol"));
        entry += "/" + (proto.empty() ? std::string("TCP") : proto);
        ports += (ports.empty() ? "" : ",") + entry;
      }
    }
    s(ports.empty() ? "<none>" : ports);
    s(Age(obj, now));
    s(Selector(At(obj, {"spec", "selector"})));
  } else if (kind == "ConfigMap") {
    long long count = 0;
    for (const char* f : {"data", "binaryData"}) {
      if (const Value* d = obj.Find(f); d != nullptr && d->is_object()) {
        count += static_cast<long long>(d->members().size());
      }
    }
    n(count);
    s(Age(obj, now));
  } else if (kind == "Secret") {
    s(Str(obj.Find("type")));
    const Value* d = obj.Find("data");
    n(d != nullptr && d->is_object() ? static_cast<long long>(d->members().size()) : 0);
    s(Age(obj, now));
  } else if (kind == "Namespace") {
    const std::string phase = Str(At(obj, {"status", "phase"}));
    s(phase.empty() ? "Active" : phase);
    s(Age(obj, now));
  } else if (kind == "ServiceAccount") {
    const Value* secrets = obj.Find("secrets");
    n(secrets != nullptr && secrets->is_array() ? static_cast<long long>(secrets->items().size())
                                                : 0);
    s(Age(obj, now));
  } else if (kind == "Pod") {
    const Value* containers = At(obj, {"spec", "containers"});
    const std::size_t total =
        containers != nullptr && containers->is_array() ? containers->items().size() : 0;
    s("0/" + std::to_string(total));
    const std::string phase = Str(At(obj, {"status", "phase"}));
    s(phase.empty() ? "Pending" : phase);
    s("0");
    s(Age(obj, now));
  } else if (kind == "Job") {
    s("Running");
    const long long completions =
        At(obj, {"spec", "completions"}) != nullptr ? Int(At(obj, {"spec", "completions"})) : 1;
    s(std::to_string(Int(At(obj, {"status", "succeeded"}))) + "/" + std::to_string(completions));
    s("");
    s(Age(obj, now));
  } else if (kind == "CronJob") {
    s(Str(At(obj, {"spec", "schedule"})));
    const std::string tz = Str(At(obj, {"spec", "timeZone"}));
    s(tz.empty() ? "<none>" : tz);
    const Value* suspend = At(obj, {"spec", "suspend"});
    c.items().push_back(
        Value::Bool(suspend != nullptr && suspend->is_bool() && suspend->bool_value()));
    n(0);
    s("<none>");
    s(Age(obj, now));
  } else if (kind == "HorizontalPodAutoscaler") {
    s(Str(At(obj, {"spec", "scaleTargetRef", "kind"})) + "/" +
      Str(At(obj, {"spec", "scaleTargetRef", "name"})));
    s("<unknown>");
    const Value* min = At(obj, {"spec", "minReplicas"});
    s(min != nullptr ? min->text() : "1");
    n(Int(At(obj, {"spec", "maxReplicas"})));
    n(Int(At(obj, {"status", "currentReplicas"})));
    s(Age(obj, now));
  } else {
    s(Str(At(obj, {"metadata", "creationTimestamp"})));
  }
  return c;
}

}  // namespace

Value TableFor(const ResourceType& type, const std::vector<std::shared_ptr<const Value>>& objects,
               bool with_columns, const std::string& resource_version, const std::string& now) {
  Value table = Value::MakeObject();
  table.Set("kind", Value::String("Table"));
  table.Set("apiVersion", Value::String("meta.k8s.io/v1"));
  table.Set("metadata", Value::MakeObject())
      .Set("resourceVersion", Value::String(resource_version));
  if (with_columns) {
    Value cols = Value::MakeArray();
    for (const auto& c : ColumnsFor(type.custom ? "" : type.kind)) {
      Value col = Value::MakeObject();
      col.Set("name", Value::String(c.name));
      col.Set("type", Value::String(c.type));
      col.Set("format", Value::String(c.format));
      col.Set("description", Value::String(""));
      col.Set("priority", Value::Int(c.priority));
      cols.items().push_back(std::move(col));
    }
    table.Set("columnDefinitions", std::move(cols));
  } else {
    table.Set("columnDefinitions", Value::Null());
  }
  Value rows = Value::MakeArray();
  for (const auto& obj : objects) {
    Value row = Value::MakeObject();
    row.Set("cells", Cells(type.custom ? "" : type.kind, *obj, now));
    Value partial = Value::MakeObject();
    partial.Set("kind", Value::String("PartialObjectMetadata"));
    partial.Set("apiVersion", Value::String("meta.k8s.io/v1"));
    if (const Value* meta = obj->Find("metadata")) {
      partial.Set("metadata", *meta);
    }
    row.Set("object", std::move(partial));
    rows.items().push_back(std::move(row));
  }
  table.Set("rows", std::move(rows));
  return table;
}

}  // namespace plumbline::sim
