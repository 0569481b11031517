// Discovery: which resources the API server serves, to map a (group, kind) of a target to the
// resource to watch (plural, scope, preferred version). Uses aggregated discovery
// (apidiscovery.k8s.io/v2 on /api and /apis, two requests) when the server offers it, legacy
// discovery (/api, /api/v1, /apis, /apis/{group}/{version}) otherwise. Refresh() again to pick
// up CRDs created later.
//
// Threading: on the ApiClient's io thread. Lookups return pointers that stay valid until the next
// Refresh completes.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>  // before Asio (asio#944)
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "plumbline/agent/api_client.h"
#include "plumbline/agent/reflector.h"
#include "plumbline/common/result.h"

namespace plumbline::agent {

struct DiscoveredResource {
  ApiResource resource;
  std::vector<std::string> verbs;
  std::vector<std::string> short_names;
  bool preferred = false;  // the group's preferred version

  bool Watchable() const;  // verbs include list and watch
};

class Discovery {
 public:
  // use_aggregated=false always uses legacy discovery (for servers with a broken aggregated
  // endpoint, and tests).
  explicit Discovery(ApiClient& client, bool use_aggregated = true)
      : client_(client), use_aggregated_(use_aggregated) {}

  // Fetches everything again. On error the previous result is kept. 429/5xx answers are retried
  // (Retry-After honoured, at most `max_wait` in total).
  Awaitable<Status> Refresh(std::chrono::seconds max_wait = std::chrono::seconds(30));

  // The preferred-version resource serving (group, kind) that supports list and watch; nullptr
  // when none ("" is the core group).
  const ApiResource* Find(std::string_view group, std::string_view kind) const;
  // The same for an exact version (apiVersion "apps/v1" → group "apps", version "v1").
  const ApiResource* Find(std::string_view group, std::string_view version,
                          std::string_view kind) const;
  // Find, or an error naming the kind ("no resource serves kind Widget in group example.com").
  Result<ApiResource> Lookup(std::string_view group, std::string_view kind) const;

  // Every resource of every served version (subresources excluded).
  const std::vector<DiscoveredResource>& resources() const { return resources_; }
  bool aggregated() const { return aggregated_; }
  int refreshes() const { return refreshes_; }

 private:
  Awaitable<Result<ApiResponse>> GetRetrying(std::string target, std::string accept,
                                             std::chrono::steady_clock::time_point deadline);
  Awaitable<Status> RefreshAggregated(std::vector<DiscoveredResource>* out, bool* offered,
                                      std::chrono::steady_clock::time_point deadline);
  Awaitable<Status> RefreshLegacy(std::vector<DiscoveredResource>* out,
                                  std::chrono::steady_clock::time_point deadline);

  ApiClient& client_;
  bool use_aggregated_;
  std::vector<DiscoveredResource> resources_;
  bool aggregated_ = false;
  int refreshes_ = 0;
};

}  // namespace plumbline::agent
