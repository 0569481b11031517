#include "plumbline/agent/discovery.h"

#include <algorithm>
#include <utility>  // before Asio (asio#944)

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "plumbline/hashing/json.h"
#include "plumbline/hashing/value.h"

#include "log.h"

namespace plumbline::agent {

namespace asio = boost::asio;
using hashing::Value;

namespace {

constexpr const char* kAggregatedAccept =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";

std::vector<std::string> Strings(const Value* v) {
  std::vector<std::string> out;
  if (v != nullptr && v->is_array()) {
    for (const Value& s : v->items()) {
      if (s.is_string()) {
        out.push_back(s.text());
      }
    }
  }
  return out;
}

Result<Value> ParseBody(const ApiResponse& r, const std::string& target) {
  if (r.status != 200) {
    return MakeError(ErrorCode::kUnavailable, "discovery: GET " + target + ": HTTP " +
                                                  std::to_string(r.status) + ": " +
                                                  r.body.substr(0, 200));
  }
  auto v = hashing::ParseJson(r.body);
  if (!v || !v->is_object()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "discovery: GET " + target + ": not a JSON object" +
                         (v ? std::string() : ": " + v.error().message));
  }
  return v;
}

// Resources of one APIResourceList (legacy discovery).
void AddLegacyList(const Value& list, const std::string& group, const std::string& version,
                   bool preferred, std::vector<DiscoveredResource>* out) {
  const Value* resources = list.Find("resources");
  if (resources == nullptr || !resources->is_array()) {
    return;
  }
  for (const Value& r : resources->items()) {
    const std::string name(r.GetString("name"));
    if (name.empty() || name.find('/') != std::string::npos) {
      continue;  // subresource
    }
    DiscoveredResource d;
    d.resource.group = group;
    d.resource.version = version;
    d.resource.resource = name;
    d.resource.kind = std::string(r.GetString("kind"));
    const Value* ns = r.Find("namespaced");
    d.resource.namespaced = ns != nullptr && ns->is_bool() && ns->bool_value();
    d.verbs = Strings(r.Find("verbs"));
    d.short_names = Strings(r.Find("shortNames"));
    d.preferred = preferred;
    out->push_back(std::move(d));
  }
}

}  // namespace

bool DiscoveredResource::Watchable() const {
  return std::find(verbs.begin(), verbs.end(), "list") != verbs.end() &&
         std::find(verbs.begin(), verbs.end(), "watch") != verbs.end();
}

Awaitable<Result<ApiResponse>> Discovery::GetRetrying(
    std::string target, std::string accept, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    RequestOptions o;
    o.accept = accept;
    o.verb = "get";
    o.resource = "discovery";
    o.retry_after_retries = 0;  // the loop below waits, bounded by the deadline
    auto r = co_await client_.Get(target, o);
    if (!r || (r->status != 429 && r->status < 500)) {
      co_return r;
    }
    const auto wait = r->RetryAfter().value_or(std::chrono::seconds(1));
    if (std::chrono::steady_clock::now() + wait > deadline) {
      co_return r;
    }
    KubeLog().info("msg=\"discovery retry\" target={} status={} wait_s={}", target, r->status,
                   wait.count());
    asio::steady_timer timer(co_await asio::this_coro::executor, wait);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

Awaitable<Status> Discovery::RefreshAggregated(std::vector<DiscoveredResource>* out, bool* offered,
                                               std::chrono::steady_clock::time_point deadline) {
  *offered = false;
  for (const char* path : {"/api", "/apis"}) {
    auto r = co_await GetRetrying(path, kAggregatedAccept, deadline);
    if (!r) {
      co_return r.error();
    }
    if (r->status != 200 ||
        r->Header("Content-Type").find("as=APIGroupDiscoveryList") == std::string_view::npos) {
      co_return Status::Ok();  // not offered: legacy discovery
    }
    auto doc = ParseBody(*r, path);
    if (!doc) {
      co_return doc.error();
    }
    const Value* items = doc->Find("items");
    if (items == nullptr || !items->is_array()) {
      continue;
    }
    for (const Value& group : items->items()) {
      const Value* meta = group.Find("metadata");
      const std::string group_name(meta != nullptr ? meta->GetString("name") : "");
      const Value* versions = group.Find("versions");
      if (versions == nullptr || !versions->is_array()) {
        continue;
      }
      bool first = true;  // versions are listed in preference order
      for (const Value& v : versions->items()) {
        const std::string version(v.GetString("version"));
        const Value* resources = v.Find("resources");
        if (resources != nullptr && resources->is_array()) {
          for (const Value& res : resources->items()) {
            DiscoveredResource d;
            d.resource.group = group_name;
            d.resource.version = version;
            d.resource.resource = std::string(res.GetString("resource"));
            const Value* rk = res.Find("responseKind");
            d.resource.kind = std::string(rk != nullptr ? rk->GetString("kind") : "");
            d.resource.namespaced = res.GetString("scope") == "Namespaced";
            d.verbs = Strings(res.Find("verbs"));
            d.short_names = Strings(res.Find("shortNames"));
            d.preferred = first;
            if (!d.resource.resource.empty() && !d.resource.kind.empty()) {
              out->push_back(std::move(d));
            }
          }
        }
        first = false;
      }
    }
  }
  *offered = true;
  co_return Status::Ok();
}

Awaitable<Status> Discovery::RefreshLegacy(std::vector<DiscoveredResource>* out,
                                           std::chrono::steady_clock::time_point deadline) {
  {
    auto r = co_await GetRetrying("/api", "application/json", deadline);
    if (!r) {
      co_return r.error();
    }
    auto doc = ParseBody(*r, "/api");
    if (!doc) {
      co_return doc.error();
    }
    const auto versions = Strings(doc->Find("versions"));
    bool first = true;
    for (const auto& v : versions) {
      const std::string target = "/api/" + v;
      auto list = co_await GetRetrying(target, "application/json", deadline);
      if (!list) {
        co_return list.error();
      }
      auto ldoc = ParseBody(*list, target);
      if (!ldoc) {
        co_return ldoc.error();
      }
      AddLegacyList(*ldoc, "", v, first, out);
      first = false;
    }
  }
  auto r = co_await GetRetrying("/apis", "application/json", deadline);
  if (!r) {
    co_return r.error();
  }
  auto doc = ParseBody(*r, "/apis");
  if (!doc) {
    co_return doc.error();
  }
  const Value* groups = doc->Find("groups");
  if (groups == nullptr || !groups->is_array()) {
    co_return Status::Ok();
  }
  for (const Value& g : groups->items()) {
    const std::string name(g.GetString("name"));
    const Value* pv = g.Find("preferredVersion");
    const std::string preferred(pv != nullptr ? pv->GetString("version") : "");
    const Value* versions = g.Find("versions");
    if (versions == nullptr || !versions->is_array()) {
      continue;
    }
    for (const Value& v : versions->items()) {
      const std::string version(v.GetString("version"));
      const std::string target = "/apis/" + name + "/" + version;
      auto list = co_await GetRetrying(target, "application/json", deadline);
      if (!list) {
        co_return list.error();
      }
      if (list->status == 404) {
        continue;  // a group version that went away between the two requests
      }
      auto ldoc = ParseBody(*list, target);
      if (!ldoc) {
        co_return ldoc.error();
      }
      AddLegacyList(*ldoc, name, version, version == preferred, out);
    }
  }
  co_return Status::Ok();
}

Awaitable<Status> Discovery::Refresh(std::chrono::seconds max_wait) {
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  std::vector<DiscoveredResource> found;
  bool offered = false;
  if (use_aggregated_) {
    Status st = co_await RefreshAggregated(&found, &offered, deadline);
    if (!st) {
      co_return st;
    }
  }
  if (!offered) {
    found.clear();
    Status st = co_await RefreshLegacy(&found, deadline);
    if (!st) {
      co_return st;
    }
  }
  resources_ = std::move(found);
  aggregated_ = offered;
  ++refreshes_;
  KubeLog().debug("msg=\"discovery refreshed\" aggregated={} resources={}", aggregated_,
                  resources_.size());
  co_return Status::Ok();
}

const ApiResource* Discovery::Find(std::string_view group, std::string_view kind) const {
  const ApiResource* fallback = nullptr;
  for (const auto& d : resources_) {
    if (d.resource.group == group && d.resource.kind == kind && d.Watchable()) {
      if (d.preferred) {
        return &d.resource;
      }
      if (fallback == nullptr) {
        fallback = &d.resource;
      }
    }
  }
  return fallback;
}

const ApiResource* Discovery::Find(std::string_view group, std::string_view version,
                                   std::string_view kind) const {
  for (const auto& d : resources_) {
    if (d.resource.group == group && d.resource.version == version && d.resource.kind == kind &&
        d.Watchable()) {
      return &d.resource;
    }
  }
  return nullptr;
}

Result<ApiResource> Discovery::Lookup(std::string_view group, std::string_view kind) const {
  if (const ApiResource* r = Find(group, kind); r != nullptr) {
    return *r;
  }
  return MakeError(
      ErrorCode::kNotFound,
      "no served resource lists and watches kind " + std::string(kind) +
          (group.empty() ? std::string(" in the core group") : " in group " + std::string(group)));
}

}  // namespace plumbline::agent
