// Helpers shared by kube-sim's API files: query strings, Status errors, selectors, tables,
// continue tokens. Private to sim/.
#pragma once

#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "plumbline/common/result.h"
#include "plumbline/hashing/value.h"
#include "plumbline/sim/api.h"
#include "plumbline/sim/resources.h"
#include "plumbline/sim/server_side_apply.h"

namespace plumbline::sim {

inline constexpr const char* kTableContentType = "application/json;as=Table;v=v1;g=meta.k8s.io";

using Query = std::multimap<std::string, std::string>;
Query ParseQuery(const std::string& query);
Query ParseQueryOf(const std::string& target);  // the part after '?'
std::string QueryGet(const Query& q, const std::string& key);
std::string UrlDecode(const std::string& s);
std::vector<std::string> SplitPath(const std::string& path);
std::string FormatTime(std::time_t t);
Result<std::time_t> ParseTime(const std::string& rfc3339);
std::string HumanDuration(long long seconds);

std::string StatusJson(unsigned code, const std::string& reason, const std::string& message,
                       const hashing::Value* details = nullptr);
Response StatusResponse(unsigned code, const std::string& reason, const std::string& message,
                        const hashing::Value* details = nullptr);
Response NotFoundRoute();
Response NotFound(const ResourceType& type, const std::string& name);
Response AlreadyExists(const ResourceType& type, const std::string& name);
Response Conflict(const ResourceType& type, const std::string& name);
Response Invalid(const ResourceType& type, const std::string& name, const std::string& detail);
Response BadRequest(const std::string& message);
Response Gone(const std::string& message);
Response ErrorResponse(const Error& error);
Response ApplyConflictResponse(const std::vector<ApplyConflict>& conflicts,
                               const std::string& api_version);

struct Api::Route {
  enum class Kind { kNone, kVersion, kHealth, kDiscovery, kOpenApi, kResource, kControl };
  Kind kind = Kind::kNone;
  std::vector<std::string> segments;  // path split on '/'
  Query query;
  const ResourceType* type = nullptr;
  std::string group;
  std::string version;
  std::string plural;
  std::string namespace_;  // from the path
  std::string name;
  std::string subresource;
};

bool WantsTable(const std::string& accept);
hashing::Value TableFor(const ResourceType& type,
                        const std::vector<std::shared_ptr<const hashing::Value>>& objects,
                        bool with_columns, const std::string& resource_version,
                        const std::string& now);

struct Requirement {
  std::string key;
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kNotExists } op = Op::kExists;
  std::vector<std::string> values;
};
using LabelSelector = std::vector<Requirement>;
Result<LabelSelector> ParseLabelSelector(const std::string& text);
bool MatchesLabels(const LabelSelector& selector, const hashing::Value& object);
using FieldSelector = std::vector<Requirement>;
Result<FieldSelector> ParseFieldSelector(const std::string& text);
bool MatchesFields(const FieldSelector& selector, const hashing::Value& object);

struct ContinueToken {
  std::uint64_t rv = 0;
  std::string ns;
  std::string name;
  // Matching objects after the last one returned, counted at the list's snapshot by the first
  // page (absent in tokens of older kube-sim versions: the page counts them again).
  std::optional<std::uint64_t> remaining;
};
std::string EncodeContinue(std::uint64_t rv, const std::string& ns, const std::string& name,
                           std::uint64_t remaining);
Result<ContinueToken> DecodeContinue(const std::string& token);

}  // namespace plumbline::sim
