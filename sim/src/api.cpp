#include "plumbline/sim/api.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <random>

#include "plumbline/hashing/json.h"
#include "plumbline/sim/defaults.h"
#include "plumbline/sim/field_set.h"
#include "plumbline/sim/patch.h"
#include "plumbline/sim/protobuf.h"
#include "plumbline/sim/server_side_apply.h"

#include "api_internal.h"

namespace plumbline::sim {

using hashing::Value;

// ---------------------------------------------------------------------------------------------
// Routing

Api::Api(ApiOptions options)
    : options_(std::move(options)),
      store_(options_.history_limit),
      seed_(
          static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())) {
  // The namespaces every cluster has.
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    Value obj = Value::MakeObject();
    obj.Set("apiVersion", Value::String("v1"));
    obj.Set("kind", Value::String("Namespace"));
    obj.Set("metadata", Value::MakeObject()).Set("name", Value::String(ns));
    (void)Load(obj, "kube-apiserver");
  }
}

std::string Api::Now() const {
  if (options_.now) {
    return options_.now();
  }
  return FormatTime(std::time(nullptr));
}

std::string Api::NewUid() {
  // Random-looking, unique per server run.
  std::mt19937_64 rng(seed_ + ++uid_counter_);
  const std::uint64_t a = rng();
  const std::uint64_t b = rng();
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

int Api::AllocateNodePort() {
  // The default --service-node-port-range, handed out in order.
  const int port = 30000 + static_cast<int>(next_node_port_++ % 2768);
  return port;
}

std::string Api::AllocateClusterIp() {
  const std::uint32_t n = next_ip_++;
  return "10.96." + std::to_string((n >> 8) & 0xff) + "." + std::to_string(n & 0xff);
}

void Api::CountFaultUse() {
  if (faults_.remaining > 0 && --faults_.remaining == 0) {
    faults_.status_code = 0;
    faults_.retry_after_seconds = 0;
  }
}

void Api::DropWatches() {
  for (auto& w : watches_) {
    if (auto s = w.lock()) {
      s->closed = true;
      if (s->notify) {
        s->notify();
      }
    }
  }
  watches_.clear();
}

Response Api::Handle(const Request& request, WatchStreamPtr* watch) {
  Response r = Dispatch(request, watch);
  return r;
}

Response Api::Dispatch(const Request& request, WatchStreamPtr* watch) {
  Route route;
  const auto qpos = request.target.find('?');
  const std::string path = request.target.substr(0, qpos);
  if (qpos != std::string::npos) {
    route.query = ParseQuery(request.target.substr(qpos + 1));
  }
  route.segments = SplitPath(path);
  const auto& s = route.segments;

  if (!s.empty() && s[0] == "_sim") {
    return Control(request);
  }
  // Injected failures apply to the Kubernetes API, not to health or control endpoints.
  const bool api_path = !s.empty() && (s[0] == "api" || s[0] == "apis");
  if (api_path && faults_.status_code != 0) {
    Response r;
    r.status = faults_.status_code;
    if (faults_.retry_after_seconds > 0) {
      r.headers.emplace_back("Retry-After", std::to_string(faults_.retry_after_seconds));
    }
    CountFaultUse();  // after reading: the last counted use clears the fault
    const char* reason = r.status == 429   ? "TooManyRequests"
                         : r.status == 503 ? "ServiceUnavailable"
                                           : "InternalError";
    if (faults_.status_form) {
      r.body = StatusJson(r.status, reason, "injected fault: " + std::string(reason));
    } else {
      r.content_type = "text/plain; charset=utf-8";
      r.body = "Too many requests, please try again later.\n";
    }
    return r;
  }

  if (s.size() == 1 && s[0] == "version") {
    Response r;
    r.body =
        R"({"major":"1","minor":"32","gitVersion":"v1.32.0","gitCommit":"70d3cc986aa8221cd1dfb1121852688902d3bf53","gitTreeState":"clean","buildDate":"2024-12-11T17:59:15Z","goVersion":"go1.23.3","compiler":"gc","platform":"linux/amd64"})";
    r.headers.emplace_back("Cache-Control", "no-cache, private");
    return r;
  }
  if (s.size() == 1 && (s[0] == "healthz" || s[0] == "readyz" || s[0] == "livez")) {
    Response r;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "ok";
    return r;
  }
  if (!s.empty() && s[0] == "openapi") {
    return OpenApi(request, route);
  }
  if (s.empty() || (s[0] != "api" && s[0] != "apis")) {
    return NotFoundRoute();
  }
  // /api, /apis, /api/v1, /apis/{g}, /apis/{g}/{v}
  std::size_t i = 1;
  if (s[0] == "api") {
    if (s.size() == 1) {
      return Discovery(request, route);
    }
    route.group = "";
    route.version = s[1];
    i = 2;
  } else {
    if (s.size() <= 2) {
      return Discovery(request, route);
    }
    route.group = s[1];
    route.version = s[2];
    i = 3;
  }
  if (s.size() == i) {
    return Discovery(request, route);
  }
  // Resource paths.
  if (s[i] == "namespaces" && s.size() >= i + 3) {
    route.namespace_ = s[i + 1];
    i += 2;
  }
  route.plural = s[i];
  route.type = registry_.Find(route.group, route.version, route.plural);
  if (route.type == nullptr) {
    return NotFoundRoute();
  }
  if (s.size() > i + 1) {
    route.name = s[i + 1];
  }
  if (s.size() > i + 2) {
    route.subresource = s[i + 2];
  }
  if (s.size() > i + 3) {
    return NotFoundRoute();
  }
  // The Namespace object itself: /api/v1/namespaces/NAME
  if (route.type->kind == "Namespace" && !route.namespace_.empty()) {
    route.name = route.namespace_;
    route.namespace_.clear();
  }
  if (!route.type->namespaced && !route.namespace_.empty()) {
    return NotFoundRoute();
  }
  if (!route.subresource.empty() && route.subresource != "status" &&
      !(route.subresource == "scale" && route.type->scale_subresource)) {
    return NotFoundRoute();
  }
  route.kind = Route::Kind::kResource;

  const std::string& m = request.method;
  if (route.subresource == "scale") {
    return Scale(request, route);
  }
  if (m == "GET") {
    if (route.name.empty()) {
      return List(request, route, watch);
    }
    return Get(request, route);
  }
  if (m == "POST" && route.name.empty()) {
    return Create(request, route);
  }
  if (m == "PUT" && !route.name.empty()) {
    return Update(request, route);
  }
  if (m == "PATCH" && !route.name.empty()) {
    return Patch(request, route);
  }
  if (m == "DELETE" && !route.name.empty()) {
    return Delete(request, route);
  }
  Response r;
  r.status = 405;
  r.body = StatusJson(405, "MethodNotAllowed",
                      "the server does not allow this method on the requested resource");
  return r;
}

// ---------------------------------------------------------------------------------------------
// Reads

namespace {

std::string ObjectNamespace(const Value& obj) {
  const Value* meta = obj.Find("metadata");
  return meta != nullptr ? std::string(meta->GetString("namespace")) : std::string();
}

std::string ObjectName(const Value& obj) {
  const Value* meta = obj.Find("metadata");
  return meta != nullptr ? std::string(meta->GetString("name")) : std::string();
}

}  // namespace

Response Api::Get(const Request& request, const Route& route) {
  const StoredObject* obj = store_.Find(route.type, route.namespace_, route.name);
  if (obj == nullptr) {
    return NotFound(*route.type, route.name);
  }
  Response r;
  if (WantsTable(request.accept)) {
    r.content_type = kTableContentType;
    r.body = hashing::ToJson(TableFor(*route.type, {obj->value}, true,
                                      std::to_string(store_.resource_version()), Now()));
    return r;
  }
  r.body = *obj->json;
  return r;
}

Response Api::List(const Request& request, const Route& route, WatchStreamPtr* watch) {
  const Query& q = route.query;
  auto selector = ParseLabelSelector(QueryGet(q, "labelSelector"));
  if (!selector) {
    return BadRequest(selector.error().message);
  }
  auto fields = ParseFieldSelector(QueryGet(q, "fieldSelector"));
  if (!fields) {
    return BadRequest(fields.error().message);
  }
  const ResourceType* type = route.type;
  const std::string ns = route.namespace_;
  // Without selectors an object matches by its namespace alone (no need to look inside).
  const bool any_selector = !selector->empty() || !fields->empty();
  auto matches = [selector = *selector, fields = *fields, ns](const Value& obj) {
    if (!ns.empty() && ObjectNamespace(obj) != ns) {
      return false;
    }
    return MatchesLabels(selector, obj) && MatchesFields(fields, obj);
  };

  if (QueryGet(q, "watch") == "true" || QueryGet(q, "watch") == "1") {
    if (watch == nullptr) {
      return BadRequest("watch is not supported on this connection");
    }
    const std::string rv_text = QueryGet(q, "resourceVersion");
    const bool send_initial = QueryGet(q, "sendInitialEvents") == "true";
    const bool bookmarks = QueryGet(q, "allowWatchBookmarks") == "true";
    const bool table = WantsTable(request.accept);
    auto stream = std::make_shared<WatchStream>();
    if (const std::string t = QueryGet(q, "timeoutSeconds"); !t.empty()) {
      stream->timeout_ms = std::strtoull(t.c_str(), nullptr, 10) * 1000;
    }
    auto first_table = std::make_shared<bool>(true);
    // One event line. Plain JSON events reuse the object's stored JSON; Table events need the
    // tree (`object`, parsed from `json` when null).
    auto encode = [this, type, table, first_table](std::string_view event_type,
                                                   const std::shared_ptr<const Value>& object,
                                                   const std::string& json) {
      std::string line;
      line.reserve(json.size() + 32);
      line += "{\"type\":\"";
      line += event_type;
      line += "\",\"object\":";
      if (table) {
        std::shared_ptr<const Value> obj = object;
        if (!obj) {
          auto parsed = hashing::ParseJson(json);
          obj = std::make_shared<const Value>(parsed ? std::move(*parsed) : Value::MakeObject());
        }
        hashing::AppendJson(
            line,
            TableFor(*type, {obj}, *first_table,
                     std::string(obj->Find("metadata")->GetString("resourceVersion")), Now()));
        *first_table = false;
      } else {
        line += json;
      }
      line += "}\n";
      return line;
    };
    std::uint64_t start = 0;
    bool replay_current = rv_text.empty() || rv_text == "0" || send_initial;
    if (!replay_current) {
      char* end = nullptr;
      start = std::strtoull(rv_text.c_str(), &end, 10);
      if (end == rv_text.c_str() || *end != '\0') {
        return BadRequest("invalid resourceVersion: " + rv_text);
      }
      if (start < store_.oldest_retained()) {
        // The real server answers 200 and then an ERROR event with a 410 Status.
        stream->Push("{\"type\":\"ERROR\",\"object\":" +
                     StatusJson(410, "Expired",
                                "too old resource version: " + rv_text + " (" +
                                    std::to_string(store_.oldest_retained()) + ")") +
                     "}\n");
        stream->closed = true;
        *watch = stream;
        Response r;
        r.content_type = table ? kTableContentType : "application/json";
        return r;
      }
    }
    if (replay_current) {
      start = store_.resource_version();
      store_.Scan(type, ns, "", "",
                  [&](const std::string&, const std::string&, const StoredObject& obj) {
                    if (!any_selector || matches(*obj.value)) {
                      stream->Push(encode("ADDED", obj.value, *obj.json));
                    }
                    return true;
                  });
      if (send_initial && bookmarks) {
        stream->Push(R"({"type":"BOOKMARK","object":{"kind":")" + type->kind +
                     R"(","apiVersion":")" + type->ApiVersion() +
                     R"(","metadata":{"resourceVersion":")" + std::to_string(start) +
                     R"(","annotations":{"k8s.io/initial-events-end":"true"}}}})" + "\n");
      }
    } else {
      for (const auto& e : store_.EventsAfter(start)) {
        if (e.resource != type || (!ns.empty() && e.namespace_ != ns)) {
          continue;
        }
        std::shared_ptr<const Value> obj = e.object;
        if (any_selector) {
          obj = ObjectOf(e);
          if (!matches(*obj)) {
            continue;
          }
        }
        stream->Push(encode(EventTypeName(e.type), obj, *e.json));
      }
    }
    std::weak_ptr<WatchStream> weak = stream;
    const std::uint64_t id = store_.Subscribe([weak, type, matches, encode](const StoreEvent& e) {
      auto s = weak.lock();
      if (!s || s->closed || e.resource != type || !matches(*e.object)) {
        return;
      }
      s->Push(encode(EventTypeName(e.type), e.object, *e.json));
    });
    stream->cancel = [this, id] { store_.Unsubscribe(id); };
    if (bookmarks) {
      stream->bookmark_interval_ms = options_.bookmark_interval_ms;
      stream->on_bookmark = [weak, type, this] {
        if (auto s = weak.lock()) {
          s->Push(R"({"type":"BOOKMARK","object":{"kind":")" + type->kind + R"(","apiVersion":")" +
                  type->ApiVersion() + R"(","metadata":{"resourceVersion":")" +
                  std::to_string(store_.resource_version()) + R"("}}})" + "\n");
        }
      };
    }
    watches_.push_back(stream);
    *watch = stream;
    Response r;
    r.content_type = table ? kTableContentType : "application/json";
    return r;
  }

  // LIST with pagination. The continue token carries the list's resourceVersion and the last
  // key returned; a token older than the retained history is 410 Expired, like etcd compaction.
  const std::string rv_text = QueryGet(q, "resourceVersion");
  const std::string rv_match = QueryGet(q, "resourceVersionMatch");
  std::uint64_t list_rv = store_.resource_version();
  if (rv_match == "Exact" && !rv_text.empty() &&
      std::strtoull(rv_text.c_str(), nullptr, 10) != list_rv) {
    return Gone("too old resource version: " + rv_text + " (" + std::to_string(list_rv) + ")");
  }
  std::string after_ns;
  std::string after_name;
  std::optional<std::uint64_t> known_remaining;
  if (const std::string token = QueryGet(q, "continue"); !token.empty()) {
    auto decoded = DecodeContinue(token);
    if (!decoded) {
      return BadRequest("invalid continue token");
    }
    if (decoded->rv < store_.oldest_retained()) {
      return Gone(
          "The provided continue parameter is too old to display a consistent list result. "
          "You can start a new list without the continue parameter, or use the continue token "
          "in this response to retrieve the remainder of the results. Continuing with the "
          "provided token results in an inconsistent list - objects that were created, "
          "modified, or deleted between the time the first chunk was returned and now may "
          "show up in the list.");
    }
    list_rv = decoded->rv;
    after_ns = decoded->ns;
    after_name = decoded->name;
    known_remaining = decoded->remaining;
  }
  std::uint64_t limit = 0;
  if (const std::string l = QueryGet(q, "limit"); !l.empty()) {
    limit = std::strtoull(l.c_str(), nullptr, 10);
  }
  // One pass from the continue key: the page, then a count of what remains (objects created
  // after the list's snapshot are left out of both). Later pages take the count from the token
  // and only look one object past the page, so a full paginated LIST stays linear.
  std::vector<const StoredObject*> items;
  std::string last_ns;
  std::string last_name;
  std::string next_token;
  std::uint64_t remaining = 0;
  store_.Scan(type, ns, after_ns, after_name,
              [&](const std::string& ons, const std::string& oname, const StoredObject& obj) {
                if (obj.created_rv > list_rv || (any_selector && !matches(*obj.value))) {
                  return true;
                }
                if (limit > 0 && items.size() == limit) {
                  ++remaining;
                  return !known_remaining.has_value();
                }
                items.push_back(&obj);
                last_ns = ons;
                last_name = oname;
                return true;
              });
  if (remaining > 0 && known_remaining.has_value()) {
    // The first page's count less what this page returned; objects deleted since the snapshot
    // are still counted, as etcd counts its snapshot.
    remaining = std::max<std::uint64_t>(
        1, *known_remaining > items.size() ? *known_remaining - items.size() : 0);
  }
  if (remaining > 0 && !items.empty()) {
    next_token = EncodeContinue(list_rv, last_ns, last_name, remaining);
  }
  Response r;
  if (WantsTable(request.accept)) {
    r.content_type = kTableContentType;
    std::vector<std::shared_ptr<const Value>> objects;
    objects.reserve(items.size());
    for (const StoredObject* obj : items) {
      objects.push_back(obj->value);
    }
    Value table = TableFor(*type, objects, true, std::to_string(list_rv), Now());
    if (!next_token.empty()) {
      table.Find("metadata")->Set("continue", Value::String(next_token));
      table.Find("metadata")->Set("remainingItemCount", Value::Uint(remaining));
    }
    r.body = hashing::ToJson(table);
    return r;
  }
  std::string body = "{\"kind\":\"" + type->kind + "List\",\"apiVersion\":\"" + type->ApiVersion() +
                     "\",\"metadata\":{\"resourceVersion\":\"" + std::to_string(list_rv) + "\"";
  if (!next_token.empty()) {
    body +=
        ",\"continue\":\"" + next_token + "\",\"remainingItemCount\":" + std::to_string(remaining);
  }
  body += "},\"items\":[";
  std::size_t size = body.size() + 2;
  for (const StoredObject* obj : items) {
    size += obj->json->size() + 1;
  }
  body.reserve(size);
  for (std::size_t k = 0; k < items.size(); ++k) {
    if (k > 0) {
      body += ',';
    }
    body += *items[k]->json;
  }
  body += "]}";
  r.body = std::move(body);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Writes

namespace {

bool IsDryRun(const Query& q) { return QueryGet(q, "dryRun") == "All"; }

// The field manager: the query parameter, else the User-Agent up to the first '/'.
std::string FieldManager(const Request& request, const Query& q) {
  std::string m = QueryGet(q, "fieldManager");
  if (!m.empty()) {
    return m;
  }
  const auto slash = request.user_agent.find('/');
  return request.user_agent.substr(0, slash);
}

Result<Value> DecodeBody(const Request& request) {
  if (request.content_type.rfind("application/vnd.kubernetes.protobuf", 0) == 0) {
    return DecodeProtobufObject(request.body);
  }
  auto v = hashing::ParseJson(request.body);
  if (!v) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the body of the request was in an unknown format - accepted media types "
                     "include: application/json, application/yaml, "
                     "application/vnd.kubernetes.protobuf");
  }
  return v;
}

// a == b but for metadata.resourceVersion, without copying either.
bool SameButResourceVersion(const Value& a, const Value& b) {
  if (!a.is_object() || !b.is_object() || a.members().size() != b.members().size()) {
    return a == b;
  }
  for (const auto& [k, v] : a.members()) {
    const Value* o = b.Find(k);
    if (o == nullptr) {
      return false;
    }
    if (k != "metadata" || !v.is_object() || !o->is_object()) {
      if (!(v == *o)) {
        return false;
      }
      continue;
    }
    std::size_t compared = 0;
    for (const auto& [mk, mv] : v.members()) {
      if (mk == "resourceVersion") {
        continue;
      }
      const Value* om = o->Find(mk);
      if (om == nullptr || !(mv == *om)) {
        return false;
      }
      ++compared;
    }
    const std::size_t other = o->members().size() - (o->Find("resourceVersion") != nullptr ? 1 : 0);
    if (compared != other) {
      return false;
    }
  }
  return true;
}

bool SpecChanged(const Value& a, const Value& b) {
  // Everything but metadata and status counts as spec for generation.
  for (const auto& [k, v] : a.members()) {
    if (k == "metadata" || k == "status") {
      continue;
    }
    const Value* o = b.Find(k);
    if (o == nullptr || !(*o == v)) {
      return true;
    }
  }
  for (const auto& [k, v] : b.members()) {
    if (k != "metadata" && k != "status" && a.Find(k) == nullptr) {
      return true;
    }
  }
  return false;
}

}  // namespace

Response Api::Create(const Request& request, const Route& route) {
  auto body = DecodeBody(request);
  if (!body) {
    return ErrorResponse(body.error());
  }
  return CreateObject(request, route, std::move(*body));
}

Response Api::CreateObject(const Request& request, const Route& route, Value obj) {
  if (!obj.is_object()) {
    return BadRequest("the object must be a JSON object");
  }
  const ResourceType& type = *route.type;
  if (obj.GetString("kind") != type.kind) {
    return BadRequest("the API version in the data (" + std::string(obj.GetString("apiVersion")) +
                      ") does not match the expected API version (" + type.ApiVersion() + ")");
  }
  Value* meta = obj.Find("metadata");
  if (meta == nullptr || !meta->is_object()) {
    meta = &obj.Set("metadata", Value::MakeObject());
  }
  std::string name(meta->GetString("name"));
  if (name.empty() && !meta->GetString("generateName").empty()) {
    static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    std::mt19937 rng(static_cast<unsigned>(seed_ + ++uid_counter_));
    name = std::string(meta->GetString("generateName"));
    for (int k = 0; k < 5; ++k) {
      name.push_back(kAlphabet[rng() % (sizeof(kAlphabet) - 1)]);
    }
    meta->Set("name", Value::String(name));
  }
  if (name.empty()) {
    return Invalid(type, "", "metadata.name: Required value: name or generateName is required");
  }
  std::string ns;
  if (type.namespaced) {
    ns = route.namespace_.empty() ? std::string(meta->GetString("namespace")) : route.namespace_;
    if (!meta->GetString("namespace").empty() && meta->GetString("namespace") != ns) {
      return BadRequest(
          "the namespace of the provided object does not match the namespace sent "
          "on the request");
    }
    if (ns.empty()) {
      ns = "default";
    }
    meta->Set("namespace", Value::String(ns));
    if (store_.Get(registry_.FindKind("", "Namespace"), "", ns) == nullptr) {
      return NotFound(*registry_.FindKind("", "Namespace"), ns);
    }
  } else {
    meta->Erase("namespace");
  }
  Route target = route;
  target.namespace_ = ns;
  target.name = name;
  if (store_.Get(route.type, ns, name) != nullptr) {
    return AlreadyExists(type, name);
  }
  return Commit(request, target, nullptr, std::move(obj), true, false, "", 201);
}

Response Api::Commit(const Request& request, const Route& route, const Value* old_obj, Value obj,
                     bool created, bool managed_fields_done, const std::string& subresource,
                     unsigned ok_status) {
  const ResourceType& type = *route.type;
  obj.Set("apiVersion", Value::String(type.ApiVersion()));
  obj.Set("kind", Value::String(type.kind));
  Value& meta = *obj.Find("metadata");
  if (created) {
    meta.Set("uid", Value::String(NewUid()));
    meta.Set("creationTimestamp", Value::String(Now()));
    if (type.tracks_generation) {
      meta.Set("generation", Value::Int(1));
    }
    meta.Erase("resourceVersion");
    meta.Erase("deletionTimestamp");
  } else {
    // Immutable and server-owned metadata comes from the stored object.
    const Value& old_meta = *old_obj->Find("metadata");
    for (const char* key : {"uid", "creationTimestamp", "generation", "namespace", "name"}) {
      if (const Value* v = old_meta.Find(key)) {
        meta.Set(key, *v);
      } else {
        meta.Erase(key);
      }
    }
  }
  if (!type.custom) {
    DefaultingContext ctx;
    ctx.uid = std::string(meta.GetString("uid"));
    ctx.allocate_cluster_ip = [this] { return AllocateClusterIp(); };
    ctx.allocate_node_port = [this] { return AllocateNodePort(); };
    ctx.reset_status = created;
    if (!created) {
      CarryForwardAllocations(obj, *old_obj, type.group, type.kind);
    }
    ApplyServerDefaults(obj, type.group, type.kind, ctx);
  }
  if (created && !type.status_subresource) {
    obj.Erase("status");
  }
  if (!created) {
    Value& m = *obj.Find("metadata");
    // The scale subresource writes spec.replicas, a spec change like any other.
    if (type.tracks_generation && (subresource.empty() || subresource == "scale") &&
        SpecChanged(obj, *old_obj)) {
      const Value* g = old_obj->Find("metadata")->Find("generation");
      const long long gen = g != nullptr ? std::strtoll(g->text().c_str(), nullptr, 10) : 0;
      m.Set("generation", Value::Int(gen + 1));
    }
  }
  if (!managed_fields_done) {
    RecordUpdate(obj, old_obj, FieldManager(request, ParseQueryOf(request.target)), subresource,
                 type.ApiVersion(), Now(), type.group, type.kind);
  }
  // A write that changes nothing keeps the resourceVersion and emits no event.
  if (!created && old_obj != nullptr && SameButResourceVersion(obj, *old_obj)) {
    Response r;
    r.status = 200;
    if (!request.discard_body) {
      const StoredObject* current = store_.Find(route.type, route.namespace_, route.name);
      r.body = current != nullptr ? *current->json : hashing::ToJson(*old_obj);
    }
    return r;
  }
  if (IsDryRun(ParseQueryOf(request.target))) {
    Response r;
    r.status = ok_status;
    r.body = hashing::ToJson(obj);
    return r;
  }
  if (created && type.kind == "CustomResourceDefinition") {
    auto registered = registry_.RegisterCrd(obj);
    if (!registered) {
      return Invalid(type, route.name, registered.error().message);
    }
    Value status = Value::MakeObject();
    Value accepted = *obj.Find("spec")->Find("names");
    status.Set("acceptedNames", accepted);
    Value conditions = Value::MakeArray();
    for (const char* c : {"NamesAccepted", "Established"}) {
      Value cond = Value::MakeObject();
      cond.Set("type", Value::String(c));
      cond.Set("status", Value::String("True"));
      cond.Set("lastTransitionTime", Value::String(Now()));
      cond.Set("reason", Value::String(std::string(c) == "Established" ? "InitialNamesAccepted"
                                                                       : "NoConflicts"));
      cond.Set("message", Value::String(std::string(c) == "Established"
                                            ? "the initial names have been accepted"
                                            : "no conflicts found"));
      conditions.items().push_back(std::move(cond));
    }
    status.Set("conditions", std::move(conditions));
    Value stored = Value::MakeArray();
    stored.items().push_back(Value::String((*registered)->version));
    status.Set("storedVersions", std::move(stored));
    obj.Set("status", std::move(status));
  }
  const StoredObject& stored = store_.Put(route.type, route.namespace_, route.name, std::move(obj),
                                          created ? EventType::kAdded : EventType::kModified);
  Response r;
  r.status = ok_status;
  if (!request.discard_body) {
    r.body = *stored.json;
  }
  if (created) {
    const std::shared_ptr<const Value> value = stored.value;  // AfterCreate may add objects
    AfterCreate(route.type, *value);
  }
  return r;
}

void Api::AfterCreate(const ResourceType* type, const Value& obj) {
  // What the controllers do right after a namespace appears.
  if (type->kind != "Namespace" || !type->group.empty()) {
    return;
  }
  const std::string ns = ObjectName(obj);
  Value sa = Value::MakeObject();
  sa.Set("apiVersion", Value::String("v1"));
  sa.Set("kind", Value::String("ServiceAccount"));
  Value& sm = sa.Set("metadata", Value::MakeObject());
  sm.Set("name", Value::String("default"));
  sm.Set("namespace", Value::String(ns));
  (void)Load(sa, "kube-controller-manager");
  Value cm = Value::MakeObject();
  cm.Set("apiVersion", Value::String("v1"));
  cm.Set("kind", Value::String("ConfigMap"));
  Value& cmm = cm.Set("metadata", Value::MakeObject());
  cmm.Set("name", Value::String("kube-root-ca.crt"));
  cmm.Set("namespace", Value::String(ns));
  cmm.Set("annotations", Value::MakeObject())
      .Set("kubernetes.io/description",
           Value::String("Contains a CA bundle that can be used to verify the kube-apiserver "
                         "when using internal endpoints such as the internal service IP or "
                         "kubernetes.default.svc. No other usage is guaranteed across "
                         "distributions of Kubernetes clusters."));
  cm.Set("data", Value::MakeObject())
      .Set("ca.crt", Value::String("-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIQa2ltLXNp"
                                   "bQ==\n-----END CERTIFICATE-----\n"));
  (void)Load(cm, "kube-controller-manager");
}

Status Api::Load(const Value& object, const std::string& manager) {
  const std::string api_version(object.GetString("apiVersion"));
  const auto slash = api_version.find('/');
  const std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  const ResourceType* type = registry_.FindKind(group, object.GetString("kind"));
  if (type == nullptr) {
    return MakeError(ErrorCode::kNotFound, "no resource type for " + api_version + " " +
                                               std::string(object.GetString("kind")));
  }
  Request request;
  request.method = "POST";
  request.target = "/?fieldManager=" + manager;
  request.user_agent = manager;
  request.content_type = "application/json";
  request.discard_body = true;
  Route route;
  route.type = type;
  route.kind = Route::Kind::kResource;
  route.query = ParseQueryOf(request.target);
  Response r = CreateObject(request, route, object);
  if (r.status >= 300) {
    return MakeError(ErrorCode::kInvalidArgument, r.body);
  }
  return Status::Ok();
}

Response Api::Update(const Request& request, const Route& route) {
  const Value* old_obj = store_.Get(route.type, route.namespace_, route.name);
  if (old_obj == nullptr) {
    return NotFound(*route.type, route.name);
  }
  auto body = DecodeBody(request);
  if (!body || !body->is_object()) {
    return body ? BadRequest("the object must be a JSON object") : ErrorResponse(body.error());
  }
  Value obj = std::move(*body);
  Value* meta = obj.Find("metadata");
  if (meta == nullptr || !meta->is_object()) {
    meta = &obj.Set("metadata", Value::MakeObject());
  }
  if (const Value* rv = meta->Find("resourceVersion"); rv != nullptr && !rv->IsEmpty()) {
    if (rv->text() != old_obj->Find("metadata")->GetString("resourceVersion")) {
      return Conflict(*route.type, route.name);
    }
  }
  if (!meta->GetString("name").empty() && meta->GetString("name") != route.name) {
    return BadRequest("the name of the object (" + std::string(meta->GetString("name")) +
                      ") does not match the name on the URL (" + route.name + ")");
  }
  const Value old_copy = *old_obj;
  // Main resource: status comes from the stored object. /status: only status changes.
  if (route.subresource == "status") {
    Value merged = old_copy;
    if (const Value* status = obj.Find("status")) {
      merged.Set("status", *status);
    }
    obj = std::move(merged);
  } else if (const Value* status = old_copy.Find("status")) {
    obj.Set("status", *status);
  } else {
    obj.Erase("status");
  }
  // An empty managedFields means "keep the live ones".
  if (const Value* mf = obj.Find("metadata")->Find("managedFields");
      mf == nullptr || mf->IsEmpty()) {
    if (const Value* old_mf = old_copy.Find("metadata")->Find("managedFields")) {
      obj.Find("metadata")->Set("managedFields", *old_mf);
    }
  }
  return Commit(request, route, &old_copy, std::move(obj), false, false, route.subresource, 200);
}

Response Api::Patch(const Request& request, const Route& route) {
  const ResourceType& type = *route.type;
  const Value* stored = store_.Get(route.type, route.namespace_, route.name);
  const std::string& ct = request.content_type;
  const std::string media = ct.substr(0, ct.find(';'));
  auto patch = hashing::ParseJson(request.body);
  if (!patch) {
    return BadRequest("error decoding patch: " + patch.error().message);
  }
  if (media == "application/apply-patch+yaml") {
    if (!patch->is_object()) {
      return BadRequest("apply patch must be a JSON or YAML object");
    }
    const Query q = ParseQueryOf(request.target);
    const std::string manager = QueryGet(q, "fieldManager");
    if (manager.empty()) {
      return BadRequest("PATCH, application/apply-patch+yaml requests require fieldManager");
    }
    Value applied = *patch;
    if (applied.GetString("kind") != type.kind) {
      return BadRequest("the kind of the apply patch (" + std::string(applied.GetString("kind")) +
                        ") does not match the resource (" + type.kind + ")");
    }
    if (stored == nullptr && type.namespaced &&
        store_.Get(registry_.FindKind("", "Namespace"), "", route.namespace_) == nullptr) {
      return NotFound(*registry_.FindKind("", "Namespace"), route.namespace_);
    }
    if (Value* m = applied.Find("metadata"); m != nullptr && m->is_object()) {
      if (type.namespaced) {
        m->Set("namespace", Value::String(route.namespace_));
      }
      m->Set("name", Value::String(route.name));
    }
    const bool force = QueryGet(q, "force") == "true";
    const Value* live = stored;
    Value live_copy;
    if (live != nullptr) {
      live_copy = *live;
      live = &live_copy;
    }
    auto outcome = ServerSideApply(live, applied, manager, force, type.ApiVersion(), Now(),
                                   type.group, type.kind);
    if (!outcome) {
      return ErrorResponse(outcome.error());
    }
    if (!outcome->conflicts.empty()) {
      return ApplyConflictResponse(outcome->conflicts, type.ApiVersion());
    }
    if (stored == nullptr) {
      // Apply creates: the result still needs server metadata and defaults.
      Route target = route;
      Value obj = std::move(outcome->object);
      if (Value* m = obj.Find("metadata"); m != nullptr && type.namespaced) {
        m->Set("namespace", Value::String(route.namespace_));
      }
      return Commit(request, target, nullptr, std::move(obj), true, true, "", 201);
    }
    return Commit(request, route, &live_copy, std::move(outcome->object), false, true, "", 200);
  }
  if (stored == nullptr) {
    return NotFound(type, route.name);
  }
  const Value old_copy = *stored;
  Result<Value> patched = MakeError(ErrorCode::kInternal, "");
  if (media == "application/json-patch+json") {
    patched = ApplyJsonPatch(old_copy, *patch);
  } else if (media == "application/merge-patch+json") {
    patched = ApplyMergePatch(old_copy, *patch);
  } else if (media == "application/strategic-merge-patch+json") {
    patched = ApplyStrategicMergePatch(old_copy, *patch, type.group, type.kind);
  } else {
    Response r;
    r.status = 415;
    r.body = StatusJson(415, "UnsupportedMediaType",
                        "the body of the request was in an unknown format - accepted media "
                        "types include: application/json-patch+json, "
                        "application/merge-patch+json, application/apply-patch+yaml");
    return r;
  }
  if (!patched) {
    return ErrorResponse(patched.error());
  }
  Value obj = std::move(*patched);
  if (!obj.is_object() || obj.Find("metadata") == nullptr) {
    return BadRequest("the patch produced an invalid object");
  }
  const Value* new_rv = obj.Find("metadata")->Find("resourceVersion");
  if (new_rv != nullptr &&
      new_rv->text() != old_copy.Find("metadata")->GetString("resourceVersion")) {
    return Conflict(type, route.name);
  }
  if (route.subresource == "status") {
    Value merged = old_copy;
    if (const Value* status = obj.Find("status")) {
      merged.Set("status", *status);
    }
    obj = std::move(merged);
  } else if (const Value* status = old_copy.Find("status")) {
    obj.Set("status", *status);
  }
  // A patch that rewrote managedFields keeps them as given (kubectl's CSA->SSA migration).
  const Value* new_mf = obj.Find("metadata")->Find("managedFields");
  const Value* old_mf = old_copy.Find("metadata")->Find("managedFields");
  const bool mf_rewritten =
      new_mf != nullptr && !new_mf->IsEmpty() && (old_mf == nullptr || !(*new_mf == *old_mf));
  if (mf_rewritten) {
    // Count the rewrite as a change even if nothing else changed (kubectl-wire.md 7.11).
    Route target = route;
    const StoredObject& stored_obj =
        store_.Put(route.type, route.namespace_, route.name, std::move(obj), EventType::kModified);
    Response r;
    r.body = *stored_obj.json;
    return r;
  }
  return Commit(request, route, &old_copy, std::move(obj), false, false, route.subresource, 200);
}

Response Api::Delete(const Request& request, const Route& route) {
  (void)request;
  const Value* obj = store_.Get(route.type, route.namespace_, route.name);
  if (obj == nullptr) {
    return NotFound(*route.type, route.name);
  }
  Value last = *obj;
  const std::string uid(last.Find("metadata")->GetString("uid"));
  const ResourceType& type = *route.type;
  if (IsDryRun(route.query)) {
    Response r;
    r.body = hashing::ToJson(last);
    return r;
  }
  if (type.kind == "Namespace" && type.group.empty()) {
    // The namespace controller removes everything inside, then the namespace.
    for (const auto& t : registry_.All()) {
      if (!t->namespaced) {
        continue;
      }
      for (const auto& child : store_.List(t.get(), route.name)) {
        store_.Remove(t.get(), route.name, ObjectName(*child), *child);
      }
    }
  }
  if (type.kind == "CustomResourceDefinition") {
    const Value* spec = last.Find("spec");
    const Value* names = spec != nullptr ? spec->Find("names") : nullptr;
    if (names != nullptr) {
      for (const auto& t : registry_.All()) {
        if (t->custom && t->group == spec->GetString("group") &&
            t->plural == names->GetString("plural")) {
          store_.RemoveType(t.get());
        }
      }
    }
    registry_.UnregisterCrd(last);
  }
  store_.Remove(route.type, route.namespace_, route.name, last);
  Response r;
  if (type.kind == "Namespace" || type.kind == "Pod") {
    r.body = hashing::ToJson(last);
    return r;
  }
  r.body =
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":")" +
      route.name + R"(","group":")" + type.group + R"(","kind":")" + type.plural + R"(","uid":")" +
      uid + R"("}})";
  return r;
}

Response Api::Scale(const Request& request, const Route& route) {
  const ResourceType& type = *route.type;
  const Value* obj = store_.Get(route.type, route.namespace_, route.name);
  if (obj == nullptr) {
    return NotFound(type, route.name);
  }
  auto scale_of = [&](const Value& o) {
    Value s = Value::MakeObject();
    s.Set("kind", Value::String("Scale"));
    s.Set("apiVersion", Value::String("autoscaling/v1"));
    Value& m = s.Set("metadata", Value::MakeObject());
    const Value& om = *o.Find("metadata");
    for (const char* k : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
      if (const Value* v = om.Find(k)) {
        m.Set(k, *v);
      }
    }
    const Value* spec = o.Find("spec");
    const Value* replicas = spec != nullptr ? spec->Find("replicas") : nullptr;
    s.Set("spec", Value::MakeObject())
        .Set("replicas", replicas != nullptr ? *replicas : Value::Int(1));
    Value& status = s.Set("status", Value::MakeObject());
    const Value* ostatus = o.Find("status");
    const Value* sr = ostatus != nullptr ? ostatus->Find("replicas") : nullptr;
    status.Set("replicas", sr != nullptr ? *sr : Value::Int(0));
    const Value* sel = spec != nullptr ? spec->Find("selector") : nullptr;
    const Value* ml = sel != nullptr ? sel->Find("matchLabels") : nullptr;
    if (ml != nullptr && ml->is_object()) {
      std::string selector;
      for (const auto& [k, v] : ml->members()) {
        selector += (selector.empty() ? "" : ",") + k + "=" + v.text();
      }
      status.Set("selector", Value::String(selector));
    }
    return s;
  };
  if (request.method == "GET") {
    Response r;
    r.body = hashing::ToJson(scale_of(*obj));
    return r;
  }
  Value current = scale_of(*obj);
  Value desired;
  if (request.method == "PUT") {
    auto body = hashing::ParseJson(request.body);
    if (!body) {
      return BadRequest("invalid Scale body");
    }
    const Value* rv = body->Find("metadata") != nullptr
                          ? body->Find("metadata")->Find("resourceVersion")
                          : nullptr;
    if (rv != nullptr && !rv->IsEmpty() &&
        rv->text() != obj->Find("metadata")->GetString("resourceVersion")) {
      return Conflict(type, route.name);
    }
    desired = std::move(*body);
  } else if (request.method == "PATCH") {
    auto patch = hashing::ParseJson(request.body);
    if (!patch) {
      return BadRequest("invalid patch");
    }
    const std::string media = request.content_type.substr(0, request.content_type.find(';'));
    Result<Value> patched = media == "application/json-patch+json"
                                ? ApplyJsonPatch(current, *patch)
                                : Result<Value>(ApplyMergePatch(current, *patch));
    if (!patched) {
      return ErrorResponse(patched.error());
    }
    desired = std::move(*patched);
  } else {
    Response r;
    r.status = 405;
    r.body = StatusJson(405, "MethodNotAllowed", "method not allowed on scale");
    return r;
  }
  const Value* spec = desired.Find("spec");
  const Value* replicas = spec != nullptr ? spec->Find("replicas") : nullptr;
  if (replicas == nullptr || !replicas->is_number()) {
    return Invalid(type, route.name, "spec.replicas: Required value");
  }
  const Value old_copy = *obj;
  Value updated = old_copy;
  updated.Find("spec")->Set("replicas", *replicas);
  Route target = route;
  target.subresource = "scale";
  Response r = Commit(request, target, &old_copy, std::move(updated), false, false, "scale", 200);
  if (r.status != 200) {
    return r;
  }
  r.body = hashing::ToJson(scale_of(*store_.Get(route.type, route.namespace_, route.name)));
  return r;
}

// ---------------------------------------------------------------------------------------------
// Status churn

void Api::ChurnTick(std::uint64_t elapsed_ms) {
  if (churn_rate_ == 0) {
    churn_debt_ = 0;
    return;
  }
  // A controller that falls behind does not catch up later: at most 100 ms of writes are owed,
  // and one tick writes for at most 20 ms so that watch streams are flushed in between.
  const double rate = static_cast<double>(churn_rate_);
  churn_debt_ = std::min(churn_debt_ + rate * static_cast<double>(elapsed_ms) / 1000.0,
                         std::max(1.0, rate / 10.0));
  const auto tick_end = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
  std::size_t misses = 0;
  while (churn_debt_ >= 1.0) {
    if (churn_cursor_ >= churn_targets_.size()) {
      // A new round over the workloads as they are now.
      churn_targets_.clear();
      churn_cursor_ = 0;
      for (const auto& t : registry_.All()) {
        if (t->group == "apps" && t->status_subresource) {
          store_.Scan(t.get(), "", "", "",
                      [&](const std::string& ns, const std::string& name, const StoredObject&) {
                        churn_targets_.push_back(ChurnTarget{t.get(), ns, name});
                        return true;
                      });
        }
      }
      if (churn_targets_.empty()) {
        churn_debt_ = 0;
        return;
      }
    }
    const ChurnTarget& target = churn_targets_[churn_cursor_++];
    const StoredObject* stored = store_.Find(target.type, target.namespace_, target.name);
    if (stored == nullptr) {
      if (++misses > churn_targets_.size()) {
        churn_debt_ = 0;  // every target is gone
      }
      continue;
    }
    churn_debt_ -= 1.0;
    // Keeps the old version alive through Commit, which replaces it in the store.
    const std::shared_ptr<const Value> old_obj = stored->value;
    Value updated = *old_obj;
    Value& status = updated.Find("status") != nullptr && updated.Find("status")->is_object()
                        ? *updated.Find("status")
                        : updated.Set("status", Value::MakeObject());
    const Value* replicas =
        updated.Find("spec") != nullptr ? updated.Find("spec")->Find("replicas") : nullptr;
    const Value want = replicas != nullptr ? *replicas : Value::Int(1);
    status.Set("replicas", want);
    status.Set("readyReplicas", want);
    status.Set("availableReplicas", want);
    status.Set("updatedReplicas", want);
    if (const Value* g = updated.Find("metadata")->Find("generation")) {
      status.Set("observedGeneration", *g);
    }
    // The part that changes on every write, as a controller's heartbeat does.
    const std::string now = Now();
    Value condition = Value::MakeObject();
    condition.Set("type", Value::String("Available"));
    condition.Set("status", Value::String("True"));
    condition.Set("reason", Value::String("MinimumReplicasAvailable"));
    condition.Set("message", Value::String("Deployment has minimum availability."));
    condition.Set("lastUpdateTime", Value::String(now));
    condition.Set("lastTransitionTime", Value::String(now));
    condition.Set("churn", Value::Uint(store_.resource_version()));
    Value conditions = Value::MakeArray();
    conditions.items().push_back(std::move(condition));
    status.Set("conditions", std::move(conditions));
    Request request;
    request.method = "PUT";
    request.target = "/?fieldManager=kube-controller-manager";
    request.user_agent = "kube-controller-manager/v1.32.0";
    request.discard_body = true;
    Route route;
    route.type = target.type;
    route.kind = Route::Kind::kResource;
    route.namespace_ = target.namespace_;
    route.name = target.name;
    route.subresource = "status";
    (void)Commit(request, route, old_obj.get(), std::move(updated), false, false, "status", 200);
    if (std::chrono::steady_clock::now() >= tick_end) {
      break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Persistence

std::string Api::Snapshot() const {
  std::string out =
      "{\"resourceVersion\":" + std::to_string(store_.resource_version()) + ",\"objects\":[";
  bool first = true;
  // CRDs first so their kinds exist when the custom objects are restored.
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& t : registry_.All()) {
      const bool crd = t->kind == "CustomResourceDefinition";
      if ((pass == 0) != crd) {
        continue;
      }
      for (const auto& obj : store_.List(t.get(), "")) {
        out += first ? "\n" : ",\n";
        first = false;
        hashing::AppendJson(out, *obj);
      }
    }
  }
  out += "\n]}\n";
  return out;
}

Status Api::Restore(const std::string& snapshot) {
  auto doc = hashing::ParseJson(snapshot);
  if (!doc || !doc->is_object() || doc->Find("objects") == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument, "state file is not a kube-sim snapshot");
  }
  for (const Value& obj : doc->Find("objects")->items()) {
    const std::string api_version(obj.GetString("apiVersion"));
    const auto slash = api_version.find('/');
    const std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
    const ResourceType* type = registry_.FindKind(group, obj.GetString("kind"));
    if (type == nullptr) {
      continue;
    }
    if (type->kind == "CustomResourceDefinition") {
      (void)registry_.RegisterCrd(obj);
    }
    const std::string ns = type->namespaced ? ObjectNamespace(obj) : "";
    store_.Put(type, ns, ObjectName(obj), obj, EventType::kAdded);
  }
  return Status::Ok();
}

}  // namespace plumbline::sim
