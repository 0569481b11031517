// Discovery (aggregated and legacy), the OpenAPI v3 index kubectl needs for validation, and the
// control endpoint for fault injection.
#define XXH_INLINE_ALL
#include <set>

#include <xxhash.h>

#include "plumbline/hashing/json.h"

#include "api_internal.h"

namespace plumbline::sim {

using hashing::Value;

namespace {

constexpr const char* kAggregatedType =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

Value Strings(const std::vector<std::string>& items) {
  Value a = Value::MakeArray();
  for (const auto& s : items) {
    a.items().push_back(Value::String(s));
  }
  return a;
}

Value ResponseKind(const std::string& group, const std::string& version, const std::string& kind) {
  Value k = Value::MakeObject();
  k.Set("group", Value::String(group));
  k.Set("version", Value::String(version));
  k.Set("kind", Value::String(kind));
  return k;
}

Value AggregatedResource(const ResourceType& t) {
  Value r = Value::MakeObject();
  r.Set("resource", Value::String(t.plural));
  r.Set("responseKind", ResponseKind("", "", t.kind));
  r.Set("scope", Value::String(t.namespaced ? "Namespaced" : "Cluster"));
  r.Set("singularResource", Value::String(t.singular));
  r.Set("verbs", Strings(t.verbs));
  if (!t.short_names.empty()) {
    r.Set("shortNames", Strings(t.short_names));
  }
  if (!t.categories.empty()) {
    r.Set("categories", Strings(t.categories));
  }
  Value subs = Value::MakeArray();
  if (t.scale_subresource) {
    Value s = Value::MakeObject();
    s.Set("subresource", Value::String("scale"));
    s.Set("responseKind", ResponseKind("autoscaling", "v1", "Scale"));
    s.Set("verbs", Strings({"get", "patch", "update"}));
    subs.items().push_back(std::move(s));
  }
  if (t.status_subresource) {
    Value s = Value::MakeObject();
    s.Set("subresource", Value::String("status"));
    s.Set("responseKind", ResponseKind("", "", t.kind));
    s.Set("verbs", Strings({"get", "patch", "update"}));
    subs.items().push_back(std::move(s));
  }
  if (!subs.items().empty()) {
    r.Set("subresources", std::move(subs));
  }
  return r;
}

Value LegacyResources(const std::vector<const ResourceType*>& types, const std::string& gv) {
  Value list = Value::MakeObject();
  list.Set("kind", Value::String("APIResourceList"));
  list.Set("apiVersion", Value::String("v1"));
  list.Set("groupVersion", Value::String(gv));
  Value resources = Value::MakeArray();
  for (const ResourceType* t : types) {
    Value r = Value::MakeObject();
    r.Set("name", Value::String(t->plural));
    r.Set("singularName", Value::String(t->singular));
    r.Set("namespaced", Value::Bool(t->namespaced));
    r.Set("kind", Value::String(t->kind));
    r.Set("verbs", Strings(t->verbs));
    if (!t->short_names.empty()) {
      r.Set("shortNames", Strings(t->short_names));
    }
    if (!t->categories.empty()) {
      r.Set("categories", Strings(t->categories));
    }
    resources.items().push_back(std::move(r));
    for (const char* sub : {"scale", "status"}) {
      const bool has = std::string(sub) == "scale" ? t->scale_subresource : t->status_subresource;
      if (!has) {
        continue;
      }
      Value s = Value::MakeObject();
      s.Set("name", Value::String(t->plural + "/" + sub));
      s.Set("singularName", Value::String(""));
      s.Set("namespaced", Value::Bool(t->namespaced));
      if (std::string(sub) == "scale") {
        s.Set("group", Value::String("autoscaling"));
        s.Set("version", Value::String("v1"));
        s.Set("kind", Value::String("Scale"));
      } else {
        s.Set("kind", Value::String(t->kind));
      }
      s.Set("verbs", Strings({"get", "patch", "update"}));
      resources.items().push_back(std::move(s));
    }
  }
  list.Set("resources", std::move(resources));
  return list;
}

}  // namespace

Response Api::Discovery(const Request& request, const Route& route) {
  const auto& s = route.segments;
  const bool aggregated = request.accept.find("as=APIGroupDiscoveryList") != std::string::npos &&
                          request.accept.find("g=apidiscovery.k8s.io") != std::string::npos;
  // Groups in registry order, each with its versions' types.
  std::vector<std::string> groups;
  for (const auto& t : registry_.All()) {
    if (!t->group.empty() && std::find(groups.begin(), groups.end(), t->group) == groups.end()) {
      groups.push_back(t->group);
    }
  }
  auto types_of = [&](const std::string& group, const std::string& version) {
    std::vector<const ResourceType*> out;
    for (const auto& t : registry_.All()) {
      if (t->group == group && (version.empty() || t->version == version)) {
        out.push_back(t.get());
      }
    }
    return out;
  };
  auto versions_of = [&](const std::string& group) {
    std::vector<std::string> out;
    for (const auto* t : types_of(group, "")) {
      if (std::find(out.begin(), out.end(), t->version) == out.end()) {
        out.push_back(t->version);
      }
    }
    return out;
  };
  Response r;
  if (s.size() == 1) {
    const bool core = s[0] == "api";
    if (aggregated) {
      Value list = Value::MakeObject();
      list.Set("kind", Value::String("APIGroupDiscoveryList"));
      list.Set("apiVersion", Value::String("apidiscovery.k8s.io/v2"));
      list.Set("metadata", Value::MakeObject());
      Value items = Value::MakeArray();
      for (const std::string& g : core ? std::vector<std::string>{""} : groups) {
        Value item = Value::MakeObject();
        Value meta = Value::MakeObject();
        if (!core) {
          meta.Set("name", Value::String(g));
        }
        meta.Set("creationTimestamp", Value::Null());
        item.Set("metadata", std::move(meta));
        Value versions = Value::MakeArray();
        for (const auto& v : versions_of(g)) {
          Value version = Value::MakeObject();
          version.Set("version", Value::String(v));
          Value resources = Value::MakeArray();
          for (const auto* t : types_of(g, v)) {
            resources.items().push_back(AggregatedResource(*t));
          }
          version.Set("resources", std::move(resources));
          version.Set("freshness", Value::String("Current"));
          versions.items().push_back(std::move(version));
        }
        item.Set("versions", std::move(versions));
        items.items().push_back(std::move(item));
      }
      list.Set("items", std::move(items));
      r.content_type = kAggregatedType;
      r.body = hashing::ToJson(list);
      return r;
    }
    if (core) {
      r.body =
          R"({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]})";
      return r;
    }
    Value list = Value::MakeObject();
    list.Set("kind", Value::String("APIGroupList"));
    list.Set("apiVersion", Value::String("v1"));
    Value items = Value::MakeArray();
    for (const auto& g : groups) {
      Value group = Value::MakeObject();
      group.Set("name", Value::String(g));
      Value versions = Value::MakeArray();
      for (const auto& v : versions_of(g)) {
        Value gv = Value::MakeObject();
        gv.Set("groupVersion", Value::String(g + "/" + v));
        gv.Set("version", Value::String(v));
        versions.items().push_back(gv);
      }
      group.Set("preferredVersion", versions.items().front());
      group.Set("versions", std::move(versions));
      items.items().push_back(std::move(group));
    }
    list.Set("groups", std::move(items));
    r.body = hashing::ToJson(list);
    return r;
  }
  if (s[0] == "apis" && s.size() == 2) {
    if (versions_of(s[1]).empty()) {
      return NotFoundRoute();
    }
    Value group = Value::MakeObject();
    group.Set("kind", Value::String("APIGroup"));
    group.Set("apiVersion", Value::String("v1"));
    group.Set("name", Value::String(s[1]));
    Value versions = Value::MakeArray();
    for (const auto& v : versions_of(s[1])) {
      Value gv = Value::MakeObject();
      gv.Set("groupVersion", Value::String(s[1] + "/" + v));
      gv.Set("version", Value::String(v));
      versions.items().push_back(gv);
    }
    group.Set("preferredVersion", versions.items().front());
    group.Set("versions", std::move(versions));
    r.body = hashing::ToJson(group);
    return r;
  }
  const auto types = types_of(route.group, route.version);
  if (types.empty()) {
    return NotFoundRoute();
  }
  r.body = hashing::ToJson(LegacyResources(
      types, route.group.empty() ? route.version : route.group + "/" + route.version));
  return r;
}

Response Api::OpenApi(const Request& request, const Route& route) {
  (void)request;
  const auto& s = route.segments;
  if (s.size() >= 2 && s[1] == "v2") {
    return NotFoundRoute();  // kubectl asks for protobuf v2 only as a fallback; 404 is fine
  }
  if (s.size() < 2 || s[1] != "v3") {
    return NotFoundRoute();
  }
  // One tiny document per group-version: a PATCH operation per kind with the GVK and the
  // fieldValidation parameter, which is what kubectl's validation looks for
  // (kubectl-wire.md 3.3). No requestBody: kubectl then computes SMP from its own structs.
  std::map<std::string, Value> docs;
  for (const auto& t : registry_.All()) {
    const std::string gv =
        t->group.empty() ? "api/" + t->version : "apis/" + t->group + "/" + t->version;
    Value& doc = docs[gv];
    if (doc.is_null()) {
      doc = Value::MakeObject();
      doc.Set("openapi", Value::String("3.0.0"));
      Value& info = doc.Set("info", Value::MakeObject());
      info.Set("title", Value::String("Kubernetes"));
      info.Set("version", Value::String("v1.32.0"));
      doc.Set("paths", Value::MakeObject());
    }
    Value op = Value::MakeObject();
    Value gvk = Value::MakeObject();
    gvk.Set("group", Value::String(t->group));
    gvk.Set("version", Value::String(t->version));
    gvk.Set("kind", Value::String(t->kind));
    op.Set("x-kubernetes-group-version-kind", std::move(gvk));
    Value params = Value::MakeArray();
    for (const char* p : {"dryRun", "fieldManager", "fieldValidation", "force"}) {
      Value param = Value::MakeObject();
      param.Set("name", Value::String(p));
      param.Set("in", Value::String("query"));
      param.Set("schema", Value::MakeObject()).Set("type", Value::String("string"));
      params.items().push_back(std::move(param));
    }
    op.Set("parameters", std::move(params));
    const std::string path =
        "/" + gv + (t->namespaced ? "/namespaces/{namespace}/" : "/") + t->plural + "/{name}";
    doc.Find("paths")->Set(path, Value::MakeObject()).Set("patch", std::move(op));
  }
  Response r;
  if (s.size() == 2) {
    Value index = Value::MakeObject();
    Value paths = Value::MakeObject();
    for (const auto& [gv, doc] : docs) {
      const std::string text = hashing::ToJson(doc);
      char hash[20];
      std::snprintf(hash, sizeof(hash), "%016llX",
                    static_cast<unsigned long long>(XXH3_64bits(text.data(), text.size())));
      paths.Set(gv, Value::MakeObject())
          .Set("serverRelativeURL", Value::String("/openapi/v3/" + gv + "?hash=" + hash));
    }
    index.Set("paths", std::move(paths));
    r.body = hashing::ToJson(index);
    return r;
  }
  std::string gv;
  for (std::size_t i = 2; i < s.size(); ++i) {
    gv += (i > 2 ? "/" : "") + s[i];
  }
  auto it = docs.find(gv);
  if (it == docs.end()) {
    return NotFoundRoute();
  }
  r.body = hashing::ToJson(it->second);
  // Hashed URLs are immutable: kubectl may cache them.
  r.headers.emplace_back("Cache-Control", "public, immutable");
  return r;
}

Response Api::Control(const Request& request) {
  const auto qpos = request.target.find('?');
  const std::string path = request.target.substr(0, qpos);
  const Query q = ParseQueryOf(request.target);
  Response r;
  r.content_type = "application/json";
  if (path == "/_sim/drop-watches") {
    DropWatches();
  } else if (path == "/_sim/stall-watches") {
    faults_.stall_watches = QueryGet(q, "on") != "false";
  } else if (path == "/_sim/compact") {
    store_.Compact();
    if (QueryGet(q, "dropWatches") != "false") {
      DropWatches();
    }
  } else if (path == "/_sim/fault") {
    if (QueryGet(q, "clear") == "true") {
      faults_.status_code = 0;
      faults_.retry_after_seconds = 0;
      faults_.remaining = 0;
    } else {
      faults_.status_code =
          static_cast<unsigned>(std::strtoul(QueryGet(q, "status").c_str(), nullptr, 10));
      faults_.retry_after_seconds =
          static_cast<unsigned>(std::strtoul(QueryGet(q, "retryAfter").c_str(), nullptr, 10));
      faults_.status_form = QueryGet(q, "form") != "text";
      faults_.remaining = std::strtoull(QueryGet(q, "count").c_str(), nullptr, 10);
      if (faults_.status_code != 0 && faults_.status_code != 429 && faults_.status_code != 500 &&
          faults_.status_code != 503) {
        return BadRequest("fault status must be 429, 500 or 503");
      }
    }
  } else if (path == "/_sim/churn") {
    churn_rate_ = std::strtoull(QueryGet(q, "rate").c_str(), nullptr, 10);
  } else if (path == "/_sim/latency") {
    faults_.latency_ms = std::strtoull(QueryGet(q, "ms").c_str(), nullptr, 10);
  } else if (path == "/_sim/load") {
    // JSON lines, one object each, created as manager "kube-sim-load" (or ?manager=).
    std::string manager = QueryGet(q, "manager");
    if (manager.empty()) {
      manager = "kube-sim-load";
    }
    std::size_t start = 0;
    std::size_t loaded = 0;
    while (start < request.body.size()) {
      std::size_t nl = request.body.find('\n', start);
      if (nl == std::string::npos) {
        nl = request.body.size();
      }
      const std::string line = request.body.substr(start, nl - start);
      start = nl + 1;
      if (line.find_first_not_of(" \r\t") == std::string::npos) {
        continue;
      }
      auto obj = hashing::ParseJson(line);
      if (!obj) {
        return BadRequest("line " + std::to_string(loaded + 1) + ": " + obj.error().message);
      }
      if (Status st = Load(*obj, manager); !st) {
        return BadRequest("object " + std::to_string(loaded + 1) + ": " + st.error().message);
      }
      ++loaded;
    }
    r.body = "{\"loaded\":" + std::to_string(loaded) + "}";
    return r;
  } else if (path == "/_sim/state") {
    r.body = Snapshot();
    return r;
  } else if (path == "/_sim/stats") {
    r.body = "{\"objects\":" + std::to_string(store_.Count()) +
             ",\"resourceVersion\":" + std::to_string(store_.resource_version()) + "}";
    return r;
  } else {
    return NotFoundRoute();
  }
  r.body = R"({"ok":true})";
  return r;
}

}  // namespace plumbline::sim
