#include <algorithm>
#include <cstdio>

#include "plumbline/hashing/json.h"

#include "api_internal.h"

namespace plumbline::sim {

using hashing::Value;

std::string UrlDecode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size()) {
      const std::string hex = s.substr(i + 1, 2);
      char* end = nullptr;
      const long v = std::strtol(hex.c_str(), &end, 16);
      if (end == hex.c_str() + 2) {
        out.push_back(static_cast<char>(v));
        i += 2;
      } else {
        out.push_back(s[i]);
      }
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

Query ParseQuery(const std::string& query) {
  Query q;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t amp = query.find('&', start);
    if (amp == std::string::npos) {
      amp = query.size();
    }
    const std::string part = query.substr(start, amp - start);
    if (!part.empty()) {
      const auto eq = part.find('=');
      q.emplace(UrlDecode(part.substr(0, eq)),
                eq == std::string::npos ? "" : UrlDecode(part.substr(eq + 1)));
    }
    start = amp + 1;
  }
  return q;
}

Query ParseQueryOf(const std::string& target) {
  const auto qpos = target.find('?');
  return qpos == std::string::npos ? Query() : ParseQuery(target.substr(qpos + 1));
}

std::string QueryGet(const Query& q, const std::string& key) {
  auto it = q.find(key);
  return it == q.end() ? std::string() : it->second;
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string::npos) {
      slash = path.size();
    }
    if (slash > start) {
      out.push_back(UrlDecode(path.substr(start, slash - start)));
    }
    start = slash + 1;
  }
  return out;
}

std::string FormatTime(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<std::time_t> ParseTime(const std::string& rfc3339) {
  std::tm tm{};
  if (strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument, "bad time " + rfc3339);
  }
  return timegm(&tm);
}

// k8s.io/apimachinery/pkg/util/duration.HumanDuration.
std::string HumanDuration(long long seconds) {
  if (seconds < 0) {
    seconds = 0;
  }
  if (seconds < 60 * 2) {
    return std::to_string(seconds) + "s";
  }
  const long long minutes = seconds / 60;
  if (minutes < 10) {
    const long long s = seconds % 60;
    return s == 0 ? std::to_string(minutes) + "m"
                  : std::to_string(minutes) + "m" + std::to_string(s) + "s";
  }
  if (minutes < 60 * 3) {
    return std::to_string(minutes) + "m";
  }
  const long long hours = minutes / 60;
  if (hours < 8) {
    const long long m = minutes % 60;
    return m == 0 ? std::to_string(hours) + "h"
                  : std::to_string(hours) + "h" + std::to_string(m) + "m";
  }
  if (hours < 48) {
    return std::to_string(hours) + "h";
  }
  if (hours < 24 * 8) {
    const long long h = hours % 24;
    return h == 0 ? std::to_string(hours / 24) + "d"
                  : std::to_string(hours / 24) + "d" + std::to_string(h) + "h";
  }
  if (hours < 24 * 365 * 2) {
    return std::to_string(hours / 24) + "d";
  }
  if (hours < 24 * 365 * 8) {
    const long long dy = (hours / 24) % 365;
    return dy == 0 ? std::to_string(hours / 24 / 365) + "y"
                   : std::to_string(hours / 24 / 365) + "y" + std::to_string(dy) + "d";
  }
  return std::to_string(hours / 24 / 365) + "y";
}

std::string StatusJson(unsigned code, const std::string& reason, const std::string& message,
                       const Value* details) {
  Value s = Value::MakeObject();
  s.Set("kind", Value::String("Status"));
  s.Set("apiVersion", Value::String("v1"));
  s.Set("metadata", Value::MakeObject());
  s.Set("status", Value::String("Failure"));
  s.Set("message", Value::String(message));
  s.Set("reason", Value::String(reason));
  if (details != nullptr) {
    s.Set("details", *details);
  }
  s.Set("code", Value::Uint(code));
  return hashing::ToJson(s);
}

Response StatusResponse(unsigned code, const std::string& reason, const std::string& message,
                        const Value* details) {
  Response r;
  r.status = code;
  r.body = StatusJson(code, reason, message, details);
  return r;
}

Response NotFoundRoute() {
  return StatusResponse(404, "NotFound", "the server could not find the requested resource");
}

namespace {

Value Details(const ResourceType& type, const std::string& name) {
  Value d = Value::MakeObject();
  d.Set("name", Value::String(name));
  if (!type.group.empty()) {
    d.Set("group", Value::String(type.group));
  }
  d.Set("kind", Value::String(type.plural));
  return d;
}

}  // namespace

Response NotFound(const ResourceType& type, const std::string& name) {
  const Value d = Details(type, name);
  return StatusResponse(404, "NotFound", type.QualifiedResource() + " \"" + name + "\" not found",
                        &d);
}

Response AlreadyExists(const ResourceType& type, const std::string& name) {
  const Value d = Details(type, name);
  return StatusResponse(409, "AlreadyExists",
                        type.QualifiedResource() + " \"" + name + "\" already exists", &d);
}

Response Conflict(const ResourceType& type, const std::string& name) {
  const Value d = Details(type, name);
  return StatusResponse(409, "Conflict",
                        "Operation cannot be fulfilled on " + type.QualifiedResource() + " \"" +
                            name +
                            "\": the object has been modified; please apply your changes to the "
                            "latest version and try again",
                        &d);
}

Response Invalid(const ResourceType& type, const std::string& name, const std::string& detail) {
  Value d = Details(type, name);
  d.Set("kind", Value::String(type.kind));
  std::string kind = type.kind;
  if (!type.group.empty()) {
    kind += "." + type.group;
  }
  return StatusResponse(422, "Invalid", kind + " \"" + name + "\" is invalid: " + detail, &d);
}

Response BadRequest(const std::string& message) {
  return StatusResponse(400, "BadRequest", message);
}

Response Gone(const std::string& message) { return StatusResponse(410, "Expired", message); }

Response ErrorResponse(const Error& error) {
  switch (error.code) {
    case ErrorCode::kUnsupportedMediaType:
      return StatusResponse(415, "UnsupportedMediaType", error.message);
    case ErrorCode::kConflict:
      return StatusResponse(409, "Conflict", error.message);
    case ErrorCode::kAlreadyExists:
      return StatusResponse(409, "AlreadyExists", error.message);
    case ErrorCode::kNotFound:
      return StatusResponse(404, "NotFound", error.message);
    case ErrorCode::kInvalidArgument:
      return StatusResponse(422, "Invalid", error.message);
    default:
      return StatusResponse(500, "InternalError", error.message);
  }
}

Response ApplyConflictResponse(const std::vector<ApplyConflict>& conflicts,
                               const std::string& api_version) {
  Value details = Value::MakeObject();
  Value causes = Value::MakeArray();
  for (const auto& c : conflicts) {
    Value cause = Value::MakeObject();
    cause.Set("type", Value::String("FieldManagerConflict"));
    cause.Set("message", Value::String("conflict with \"" + c.manager + "\" using " + api_version));
    cause.Set("field", Value::String(c.field));
    causes.items().push_back(std::move(cause));
  }
  details.Set("causes", std::move(causes));
  return StatusResponse(409, "Conflict", ConflictMessage(conflicts, api_version), &details);
}

bool WantsTable(const std::string& accept) { return accept.find("as=Table") != std::string::npos; }

// ---------------------------------------------------------------------------------------------
// Selectors

namespace {

std::string Trim(const std::string& s) {
  std::size_t a = 0;
  std::size_t b = s.size();
  while (a < b && s[a] == ' ') {
    ++a;
  }
  while (b > a && s[b - 1] == ' ') {
    --b;
  }
  return s.substr(a, b - a);
}

// Splits on commas that are not inside parentheses.
std::vector<std::string> SplitTerms(const std::string& text) {
  std::vector<std::string> out;
  int depth = 0;
  std::string cur;
  for (char c : text) {
    if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    }
    if (c == ',' && depth == 0) {
      out.push_back(Trim(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!Trim(cur).empty()) {
    out.push_back(Trim(cur));
  }
  return out;
}

Result<Requirement> ParseTerm(const std::string& term) {
  Requirement r;
  if (!term.empty() && term[0] == '!') {
    r.key = Trim(term.substr(1));
    r.op = Requirement::Op::kNotExists;
    return r;
  }
  for (const char* op : {" notin ", " in "}) {
    const auto pos = term.find(op);
    if (pos != std::string::npos) {
      r.key = Trim(term.substr(0, pos));
      r.op = std::string(op) == " in " ? Requirement::Op::kIn : Requirement::Op::kNotIn;
      std::string rest = Trim(term.substr(pos + std::string(op).size()));
      if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') {
        return MakeError(ErrorCode::kInvalidArgument, "unable to parse requirement: " + term);
      }
      rest = rest.substr(1, rest.size() - 2);
      std::size_t start = 0;
      while (start <= rest.size()) {
        auto comma = rest.find(',', start);
        if (comma == std::string::npos) {
          comma = rest.size();
        }
        r.values.push_back(Trim(rest.substr(start, comma - start)));
        start = comma + 1;
      }
      return r;
    }
  }
  for (const char* op : {"!=", "==", "="}) {
    const auto pos = term.find(op);
    if (pos != std::string::npos) {
      r.key = Trim(term.substr(0, pos));
      r.op = std::string(op) == "!=" ? Requirement::Op::kNotEquals : Requirement::Op::kEquals;
      r.values.push_back(Trim(term.substr(pos + std::string(op).size())));
      return r;
    }
  }
  r.key = Trim(term);
  r.op = Requirement::Op::kExists;
  if (r.key.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "unable to parse requirement: " + term);
  }
  return r;
}

bool Matches(const Requirement& r, const std::string* value) {
  switch (r.op) {
    case Requirement::Op::kExists:
      return value != nullptr;
    case Requirement::Op::kNotExists:
      return value == nullptr;
    case Requirement::Op::kEquals:
      return value != nullptr && *value == r.values[0];
    case Requirement::Op::kNotEquals:
      return value == nullptr || *value != r.values[0];
    case Requirement::Op::kIn:
      return value != nullptr &&
             std::find(r.values.begin(), r.values.end(), *value) != r.values.end();
    case Requirement::Op::kNotIn:
      return value == nullptr ||
             std::find(r.values.begin(), r.values.end(), *value) == r.values.end();
  }
  return false;
}

}  // namespace

Result<LabelSelector> ParseLabelSelector(const std::string& text) {
  LabelSelector out;
  for (const auto& term : SplitTerms(text)) {
    auto r = ParseTerm(term);
    if (!r) {
      return r.error();
    }
    out.push_back(std::move(*r));
  }
  return out;
}

bool MatchesLabels(const LabelSelector& selector, const Value& object) {
  const Value* meta = object.Find("metadata");
  const Value* labels = meta != nullptr ? meta->Find("labels") : nullptr;
  for (const auto& r : selector) {
    const Value* v = labels != nullptr ? labels->Find(r.key) : nullptr;
    const std::string text = v != nullptr ? v->text() : std::string();
    if (!Matches(r, v != nullptr ? &text : nullptr)) {
      return false;
    }
  }
  return true;
}

Result<FieldSelector> ParseFieldSelector(const std::string& text) {
  FieldSelector out;
  for (const auto& term : SplitTerms(text)) {
    auto r = ParseTerm(term);
    if (!r) {
      return r.error();
    }
    if (r->op != Requirement::Op::kEquals && r->op != Requirement::Op::kNotEquals) {
      return MakeError(ErrorCode::kInvalidArgument, "invalid field selector: " + term);
    }
    out.push_back(std::move(*r));
  }
  return out;
}

bool MatchesFields(const FieldSelector& selector, const Value& object) {
  for (const auto& r : selector) {
    const Value* node = &object;
    std::size_t start = 0;
    while (node != nullptr && start <= r.key.size()) {
      auto dot = r.key.find('.', start);
      if (dot == std::string::npos) {
        dot = r.key.size();
      }
      node = node->Find(r.key.substr(start, dot - start));
      start = dot + 1;
    }
    const std::string text = node != nullptr ? node->text() : std::string();
    if (!Matches(r, &text)) {
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Continue tokens: base64url-free hex of "rv\x1fns\x1fname" keeps them opaque and URL-safe.

std::string EncodeContinue(std::uint64_t rv, const std::string& ns, const std::string& name,
                           std::uint64_t remaining) {
  const std::string raw =
      std::to_string(rv) + '\x1f' + ns + '\x1f' + name + '\x1f' + std::to_string(remaining);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

Result<ContinueToken> DecodeContinue(const std::string& token) {
  if (token.size() % 2 != 0) {
    return MakeError(ErrorCode::kInvalidArgument, "bad continue token");
  }
  std::string raw;
  for (std::size_t i = 0; i < token.size(); i += 2) {
    char* end = nullptr;
    const std::string hex = token.substr(i, 2);
    const long v = std::strtol(hex.c_str(), &end, 16);
    if (end != hex.c_str() + 2) {
      return MakeError(ErrorCode::kInvalidArgument, "bad continue token");
    }
    raw.push_back(static_cast<char>(v));
  }
  const auto a = raw.find('\x1f');
  const auto b = raw.find('\x1f', a == std::string::npos ? 0 : a + 1);
  if (a == std::string::npos || b == std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "bad continue token");
  }
  ContinueToken t;
  t.rv = std::strtoull(raw.substr(0, a).c_str(), nullptr, 10);
  t.ns = raw.substr(a + 1, b - a - 1);
  const auto c = raw.find('\x1f', b + 1);
  t.name = raw.substr(b + 1, c == std::string::npos ? std::string::npos : c - b - 1);
  if (c != std::string::npos) {
    t.remaining = std::strtoull(raw.c_str() + c + 1, nullptr, 10);
  }
  return t;
}

}  // namespace plumbline::sim
