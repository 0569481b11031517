#include "plumbline/agent/kube_config.h"

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "plumbline/hashing/json.h"
#include "plumbline/hashing/value.h"
#include "plumbline/render/process.h"
#include "plumbline/render/yaml_reader.h"

namespace plumbline::agent {

namespace fs = std::filesystem;
using hashing::Value;

namespace {

constexpr std::size_t kMaxFileBytes = 16u << 20;

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kIo, "open " + path + ": " + std::strerror(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > kMaxFileBytes) {
    return MakeError(ErrorCode::kLimitExceeded, path + ": larger than 16 MiB");
  }
  return text;
}

std::string Trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return "";
  }
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

int Base64Digit(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '+' || c == '-') {
    return 62;
  }
  if (c == '/' || c == '_') {
    return 63;
  }
  return -1;
}

// Standard or URL-safe base64; whitespace ignored, padding optional.
std::optional<std::string> Base64Decode(const std::string& in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (char c : in) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      continue;
    }
    if (c == '=') {
      padding = true;
      continue;
    }
    const int d = Base64Digit(c);
    if (d < 0 || padding) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFFu));
    }
  }
  return out;
}

std::string Base64Encode(const std::string& in) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  while (i + 2 < in.size()) {
    const std::uint32_t v =
        (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16) |
        (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8) |
        static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 2]));
    out.push_back(kDigits[(v >> 18) & 63u]);
    out.push_back(kDigits[(v >> 12) & 63u]);
    out.push_back(kDigits[(v >> 6) & 63u]);
    out.push_back(kDigits[v & 63u]);
    i += 3;
  }
  if (i < in.size()) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size()) {
      v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    }
    out.push_back(kDigits[(v >> 18) & 63u]);
    out.push_back(kDigits[(v >> 12) & 63u]);
    out.push_back(i + 1 < in.size() ? kDigits[(v >> 6) & 63u] : '=');
    out.push_back('=');
  }
  return out;
}

std::string DirOf(const std::string& path) {
  const fs::path p(path);
  return p.has_parent_path() ? p.parent_path().string() : std::string(".");
}

std::string Resolve(const std::string& dir, const std::string& path) {
  if (path.empty() || path[0] == '/') {
    return path;
  }
  return (fs::path(dir) / path).string();
}

std::optional<std::string> DefaultGetenv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) {
    return std::nullopt;
  }
  return std::string(v);
}

// One parsed kubeconfig file.
struct KubeconfigFile {
  std::string path;
  Value doc;
};

// A named entry of clusters/users/contexts and the file it came from.
struct Named {
  const Value* body = nullptr;  // the "cluster"/"user"/"context" member
  const KubeconfigFile* file = nullptr;
};

Result<KubeconfigFile> LoadKubeconfigFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) {
    return MakeError(text.error().code, "kubeconfig: " + text.error().message);
  }
  auto docs = render::ParseYamlStream(*text);
  if (!docs) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "kubeconfig " + path + ": " + docs.error().message);
  }
  KubeconfigFile f;
  f.path = path;
  for (auto& d : *docs) {
    if (!d.value.is_null()) {
      f.doc = std::move(d.value);
      break;
    }
  }
  if (!f.doc.is_null() && !f.doc.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "kubeconfig " + path + ": not a mapping");
  }
  return f;
}

Status CollectNamed(const KubeconfigFile& file, const char* list, const char* member,
                    std::map<std::string, Named>& into) {
  const Value* items = file.doc.Find(list);
  if (items == nullptr || items->is_null()) {
    return Status::Ok();
  }
  if (!items->is_array()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "kubeconfig " + file.path + ": " + list + " is not a list");
  }
  for (const Value& item : items->items()) {
    const std::string name(item.GetString("name"));
    const Value* body = item.Find(member);
    if (name.empty() || body == nullptr || !body->is_object()) {
      return MakeError(ErrorCode::kInvalidArgument, "kubeconfig " + file.path + ": " + list +
                                                        " entry '" + name + "' needs a name and " +
                                                        member);
    }
    into.emplace(name, Named{body, &file});  // first file wins (kubectl's merge)
  }
  return Status::Ok();
}

std::string Str(const Value& v, const char* key) { return std::string(v.GetString(key)); }

bool Bool(const Value& v, const char* key) {
  const Value* b = v.Find(key);
  if (b == nullptr) {
    return false;
  }
  if (b->is_bool()) {
    return b->bool_value();
  }
  return b->is_string() && b->text() == "true";
}

// Reads PEM from `key` (a path) or `key-data` (base64) of `body`; "" when neither is set.
Result<std::string> PemField(const Value& body, const std::string& key, const Named& where,
                             const std::string& entry) {
  const std::string file_key = key;
  const std::string data_key = key + "-data";
  const std::string data = Str(body, data_key.c_str());
  const std::string path = Str(body, file_key.c_str());
  const std::string prefix = "kubeconfig " + where.file->path + ": " + entry + ".";
  if (!data.empty() && !path.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     prefix + file_key + " and " + data_key + " are both set; use one");
  }
  if (!data.empty()) {
    auto decoded = Base64Decode(data);
    if (!decoded) {
      return MakeError(ErrorCode::kInvalidArgument, prefix + data_key + ": not valid base64");
    }
    return *decoded;
  }
  if (!path.empty()) {
    auto text = ReadFile(Resolve(DirOf(where.file->path), path));
    if (!text) {
      return MakeError(text.error().code, prefix + file_key + ": " + text.error().message);
    }
    return *text;
  }
  return std::string();
}

Status ParseServer(ClusterConfig& config, const std::string& prefix) {
  std::string url = config.server;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    config.tls = true;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    config.tls = false;
    rest = url.substr(7);
  } else if (url.find("://") != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     prefix + "server: unsupported scheme in '" + url + "'");
  } else {
    config.tls = true;
    rest = url;
  }
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  config.base_path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!config.base_path.empty() && config.base_path.back() == '/') {
    config.base_path.pop_back();
  }
  if (authority.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, prefix + "server: no host in '" + url + "'");
  }
  if (authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) {
      return MakeError(ErrorCode::kInvalidArgument, prefix + "server: bad IPv6 host '" + url + "'");
    }
    config.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      config.port = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    config.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      config.port = authority.substr(colon + 1);
    }
  }
  if (config.port.empty()) {
    config.port = config.tls ? "443" : "80";
  }
  if (config.port.find_first_not_of("0123456789") != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, prefix + "server: bad port in '" + url + "'");
  }
  return Status::Ok();
}

Result<ClusterConfig> BuildConfig(const std::vector<KubeconfigFile>& files,
                                  const std::string& context_flag) {
  std::map<std::string, Named> clusters;
  std::map<std::string, Named> users;
  std::map<std::string, Named> contexts;
  std::string current;
  for (const auto& f : files) {
    PLUMBLINE_RETURN_IF_ERROR(CollectNamed(f, "clusters", "cluster", clusters));
    PLUMBLINE_RETURN_IF_ERROR(CollectNamed(f, "users", "user", users));
    PLUMBLINE_RETURN_IF_ERROR(CollectNamed(f, "contexts", "context", contexts));
    if (current.empty()) {
      current = Str(f.doc, "current-context");
    }
  }
  std::string names;
  for (const auto& f : files) {
    names += (names.empty() ? "" : ":") + f.path;
  }
  const std::string where = "kubeconfig " + names;
  const std::string context_name = context_flag.empty() ? current : context_flag;
  if (context_name.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     where + ": no current-context set and no --context given");
  }
  auto ctx = contexts.find(context_name);
  if (ctx == contexts.end()) {
    return MakeError(ErrorCode::kNotFound,
                     where + ": context '" + context_name + "' not found in contexts");
  }
  const Value& c = *ctx->second.body;
  const std::string ctx_prefix =
      "kubeconfig " + ctx->second.file->path + ": contexts[" + context_name + "].context.";
  const std::string cluster_name = Str(c, "cluster");
  auto cl = clusters.find(cluster_name);
  if (cluster_name.empty() || cl == clusters.end()) {
    return MakeError(ErrorCode::kNotFound,
                     ctx_prefix + "cluster: cluster '" + cluster_name + "' not found in clusters");
  }
  ClusterConfig config;
  config.origin = where + " (context " + context_name + ")";
  config.namespace_ = Str(c, "namespace");

  const Value& cluster = *cl->second.body;
  const std::string cluster_entry = "clusters[" + cluster_name + "].cluster";
  const std::string cluster_prefix =
      "kubeconfig " + cl->second.file->path + ": " + cluster_entry + ".";
  config.server = Str(cluster, "server");
  if (config.server.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, cluster_prefix + "server: missing");
  }
  PLUMBLINE_RETURN_IF_ERROR(ParseServer(config, cluster_prefix));
  config.tls_server_name = Str(cluster, "tls-server-name");
  config.insecure_skip_tls_verify = Bool(cluster, "insecure-skip-tls-verify");
  auto ca = PemField(cluster, "certificate-authority", cl->second, cluster_entry);
  if (!ca) {
    return ca.error();
  }
  config.ca_pem = std::move(*ca);
  if (!Str(cluster, "proxy-url").empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     cluster_prefix + "proxy-url: proxies are not supported");
  }

  const std::string user_name = Str(c, "user");
  if (user_name.empty()) {
    return config;  // anonymous
  }
  auto us = users.find(user_name);
  if (us == users.end()) {
    return MakeError(ErrorCode::kNotFound,
                     ctx_prefix + "user: user '" + user_name + "' not found in users");
  }
  const Value& user = *us->second.body;
  const std::string user_entry = "users[" + user_name + "].user";
  const std::string user_prefix = "kubeconfig " + us->second.file->path + ": " + user_entry + ".";
  const std::string user_dir = DirOf(us->second.file->path);
  auto cert = PemField(user, "client-certificate", us->second, user_entry);
  if (!cert) {
    return cert.error();
  }
  auto key = PemField(user, "client-key", us->second, user_entry);
  if (!key) {
    return key.error();
  }
  if (cert->empty() != key->empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     user_prefix + (cert->empty() ? "client-certificate" : "client-key") +
                         ": missing (a client certificate needs both the certificate and the key)");
  }
  config.client_cert_pem = std::move(*cert);
  config.client_key_pem = std::move(*key);
  config.token = Str(user, "token");
  if (const std::string tf = Str(user, "tokenFile"); !tf.empty() && config.token.empty()) {
    config.token_file = Resolve(user_dir, tf);
    auto probe = ReadFile(config.token_file);
    if (!probe) {
      return MakeError(probe.error().code, user_prefix + "tokenFile: " + probe.error().message);
    }
  }
  if (user.Find("auth-provider") != nullptr) {
    return MakeError(ErrorCode::kInvalidArgument,
                     user_prefix + "auth-provider: not supported (use an exec plugin)");
  }
  if (!Str(user, "username").empty() || !Str(user, "password").empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     user_prefix + "username: basic authentication is not supported");
  }
  if (const Value* exec = user.Find("exec"); exec != nullptr && !exec->is_null()) {
    ExecConfig e;
    e.api_version = Str(*exec, "apiVersion");
    if (e.api_version != "client.authentication.k8s.io/v1" &&
        e.api_version != "client.authentication.k8s.io/v1beta1") {
      return MakeError(ErrorCode::kInvalidArgument,
                       user_prefix + "exec.apiVersion: '" + e.api_version +
                           "' is not client.authentication.k8s.io/v1 or v1beta1");
    }
    e.command = Str(*exec, "command");
    if (e.command.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, user_prefix + "exec.command: missing");
    }
    if (e.command.find('/') != std::string::npos) {
      e.command = Resolve(user_dir, e.command);
    }
    if (const Value* args = exec->Find("args"); args != nullptr && args->is_array()) {
      for (const Value& a : args->items()) {
        e.args.push_back(a.text());
      }
    }
    if (const Value* env = exec->Find("env"); env != nullptr && env->is_array()) {
      for (const Value& kv : env->items()) {
        const std::string name = Str(kv, "name");
        if (name.empty() || name.find('=') != std::string::npos) {
          return MakeError(ErrorCode::kInvalidArgument,
                           user_prefix + "exec.env: an entry has no valid name");
        }
        e.env.emplace_back(name, Str(kv, "value"));
      }
    }
    e.install_hint = Str(*exec, "installHint");
    e.provide_cluster_info = Bool(*exec, "provideClusterInfo");
    config.exec = std::move(e);
  }
  return config;
}

std::vector<std::string> SplitPathList(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    auto colon = list.find(':', start);
    if (colon == std::string::npos) {
      colon = list.size();
    }
    if (colon > start) {
      out.push_back(list.substr(start, colon - start));
    }
    start = colon + 1;
  }
  return out;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> ParseRfc3339(const std::string& text) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  auto num = [&](std::size_t at, std::size_t len, int& out) {
    if (at + len > text.size()) {
      return false;
    }
    out = 0;
    for (std::size_t i = at; i < at + len; ++i) {
      if (text[i] < '0' || text[i] > '9') {
        return false;
      }
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (text.size() < 20 || !num(0, 4, year) || text[4] != '-' || !num(5, 2, month) ||
      text[7] != '-' || !num(8, 2, day) || (text[10] != 'T' && text[10] != 't') ||
      !num(11, 2, hour) || text[13] != ':' || !num(14, 2, minute) || text[16] != ':' ||
      !num(17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t nanos = 0;
  if (text[pos] == '.') {
    ++pos;
    std::int64_t scale = 100000000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      nanos += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
  }
  std::int64_t offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) {
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') &&
             text[pos + 3] == ':') {
    int oh = 0;
    int om = 0;
    if (!num(pos + 1, 2, oh) || !num(pos + 4, 2, om)) {
      return std::nullopt;
    }
    offset_seconds = (oh * 3600 + om * 60) * (text[pos] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  const std::int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(secs) + std::chrono::nanoseconds(nanos)));
}

Result<ClusterConfig> ParseKubeconfig(const std::string& text, const std::string& path,
                                      const std::string& context) {
  auto docs = render::ParseYamlStream(text);
  if (!docs) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "kubeconfig " + path + ": " + docs.error().message);
  }
  std::vector<KubeconfigFile> files(1);
  files[0].path = path;
  for (auto& d : *docs) {
    if (!d.value.is_null()) {
      files[0].doc = std::move(d.value);
      break;
    }
  }
  if (!files[0].doc.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "kubeconfig " + path + ": not a mapping");
  }
  return BuildConfig(files, context);
}

Result<ClusterConfig> LoadInClusterConfig(ClusterConfigOptions options) {
  auto getenv = options.getenv ? options.getenv : DefaultGetenv;
  const auto host = getenv("KUBERNETES_SERVICE_HOST");
  const auto port = getenv("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    return MakeError(ErrorCode::kNotFound,
                     "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set "
                     "(not running in a pod)");
  }
  ClusterConfig config;
  config.in_cluster = true;
  config.origin = "in-cluster (" + options.service_account_dir + ")";
  const bool ipv6 = host->find(':') != std::string::npos;
  config.server = "https://" + (ipv6 ? "[" + *host + "]" : *host) + ":" + *port;
  PLUMBLINE_RETURN_IF_ERROR(ParseServer(config, "in-cluster: "));
  config.token_file = options.service_account_dir + "/token";
  if (auto probe = ReadFile(config.token_file); !probe) {
    return MakeError(probe.error().code, "in-cluster: token: " + probe.error().message);
  }
  auto ca = ReadFile(options.service_account_dir + "/ca.crt");
  if (!ca) {
    return MakeError(ca.error().code, "in-cluster: ca.crt: " + ca.error().message);
  }
  config.ca_pem = std::move(*ca);
  if (auto ns = ReadFile(options.service_account_dir + "/namespace"); ns) {
    config.namespace_ = Trim(*ns);
  }
  return config;
}

Result<ClusterConfig> LoadClusterConfig(ClusterConfigOptions options) {
  auto getenv = options.getenv ? options.getenv : DefaultGetenv;
  std::vector<std::string> paths;
  bool explicit_list = false;
  if (!options.kubeconfig.empty()) {
    paths.push_back(options.kubeconfig);
    explicit_list = true;
  } else if (auto env = getenv("KUBECONFIG"); env && !env->empty()) {
    // kubectl skips the files of the list that do not exist.
    for (const auto& p : SplitPathList(*env)) {
      std::error_code ec;
      if (fs::exists(p, ec)) {
        paths.push_back(p);
      }
    }
    if (paths.empty()) {
      return MakeError(ErrorCode::kNotFound,
                       "kubeconfig: none of the files in $KUBECONFIG exist (" + *env + ")");
    }
  } else if (auto home = getenv("HOME"); home && !home->empty()) {
    const std::string p = *home + "/.kube/config";
    std::error_code ec;
    if (fs::exists(p, ec)) {
      paths.push_back(p);
    }
  }
  if (paths.empty()) {
    auto in_cluster = LoadInClusterConfig(options);
    if (!in_cluster && in_cluster.error().code == ErrorCode::kNotFound &&
        !getenv("KUBERNETES_SERVICE_HOST")) {
      return MakeError(ErrorCode::kNotFound,
                       "no cluster configured: no --kubeconfig, no $KUBECONFIG, no "
                       "~/.kube/config, and not in a pod (KUBERNETES_SERVICE_HOST unset)");
    }
    return in_cluster;
  }
  std::vector<KubeconfigFile> files;
  for (const auto& p : paths) {
    auto f = LoadKubeconfigFile(p);
    if (!f) {
      return f.error();
    }
    files.push_back(std::move(*f));
  }
  (void)explicit_list;
  return BuildConfig(files, options.context);
}

Result<ExecCredential> ParseExecCredential(const std::string& json,
                                           const std::string& api_version) {
  auto doc = hashing::ParseJson(json);
  if (!doc || !doc->is_object()) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        "ExecCredential: not a JSON object" + (doc ? std::string() : ": " + doc.error().message));
  }
  if (doc->GetString("kind") != "ExecCredential") {
    return MakeError(ErrorCode::kInvalidArgument, "ExecCredential: kind is '" +
                                                      std::string(doc->GetString("kind")) +
                                                      "', not ExecCredential");
  }
  if (doc->GetString("apiVersion") != api_version) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "ExecCredential: apiVersion is '" + std::string(doc->GetString("apiVersion")) +
                         "', the kubeconfig asked for '" + api_version + "'");
  }
  const Value* status = doc->Find("status");
  if (status == nullptr || !status->is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "ExecCredential: no status");
  }
  ExecCredential c;
  c.token = Str(*status, "token");
  c.client_cert_pem = Str(*status, "clientCertificateData");
  c.client_key_pem = Str(*status, "clientKeyData");
  if (c.token.empty() && c.client_cert_pem.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "ExecCredential: status has neither token nor clientCertificateData");
  }
  if (c.client_cert_pem.empty() != c.client_key_pem.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "ExecCredential: clientCertificateData and clientKeyData go together");
  }
  if (const std::string exp = Str(*status, "expirationTimestamp"); !exp.empty()) {
    c.expiration = ParseRfc3339(exp);
    if (!c.expiration) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "ExecCredential: bad status.expirationTimestamp '" + exp + "'");
    }
  }
  return c;
}

CredentialProvider::CredentialProvider(ClusterConfig config,
                                       std::chrono::milliseconds token_file_refresh,
                                       SteadyNow steady_now, SystemNow system_now)
    : config_(std::move(config)),
      token_file_refresh_(token_file_refresh),
      steady_now_(steady_now ? std::move(steady_now)
                             : [] { return std::chrono::steady_clock::now(); }),
      system_now_(system_now ? std::move(system_now)
                             : [] { return std::chrono::system_clock::now(); }) {
  if (!config_.client_cert_pem.empty()) {
    current_.client_cert_pem = config_.client_cert_pem;
    current_.client_key_pem = config_.client_key_pem;
    current_.cert_generation = 1;
  }
  current_.bearer_token = config_.token;
}

Status CredentialProvider::RunExec() {
  const ExecConfig& e = *config_.exec;
  std::string info = R"({"apiVersion":")" + e.api_version +
                     R"(","kind":"ExecCredential","spec":{"interactive":false)";
  if (e.provide_cluster_info) {
    Value cluster = Value::MakeObject();
    cluster.Set("server", Value::String(config_.server));
    if (!config_.tls_server_name.empty()) {
      cluster.Set("tls-server-name", Value::String(config_.tls_server_name));
    }
    if (config_.insecure_skip_tls_verify) {
      cluster.Set("insecure-skip-tls-verify", Value::Bool(true));
    }
    if (!config_.ca_pem.empty()) {
      cluster.Set("certificate-authority-data", Value::String(Base64Encode(config_.ca_pem)));
    }
    info += ",\"cluster\":" + hashing::ToJson(cluster);
  }
  info += "}}";
  // `env` sets the plugin's environment on top of ours (execvp: no shell involved).
  std::vector<std::string> argv = {"env", "KUBERNETES_EXEC_INFO=" + info};
  for (const auto& [k, v] : e.env) {
    argv.push_back(k + "=" + v);
  }
  argv.push_back(e.command);
  argv.insert(argv.end(), e.args.begin(), e.args.end());
  ++exec_runs_;
  auto out = render::RunProcess(argv, "", "", 4u << 20);
  const std::string name = "exec plugin " + e.command;
  if (!out) {
    return MakeError(out.error().code, name + ": " + out.error().message);
  }
  if (out->exit_code != 0) {
    std::string last = Trim(out->err);
    if (const auto nl = last.rfind('\n'); nl != std::string::npos) {
      last = last.substr(nl + 1);
    }
    std::string msg = name + ": exit status " + std::to_string(out->exit_code);
    if (!last.empty()) {
      msg += ": " + last;
    }
    if (out->exit_code == 127 && !e.install_hint.empty()) {
      msg += " (" + Trim(e.install_hint) + ")";
    }
    return MakeError(ErrorCode::kUnavailable, msg);
  }
  auto cred = ParseExecCredential(out->out, e.api_version);
  if (!cred) {
    return MakeError(cred.error().code, name + ": " + cred.error().message);
  }
  current_.bearer_token = cred->token;
  if (cred->client_cert_pem != current_.client_cert_pem ||
      cred->client_key_pem != current_.client_key_pem) {
    current_.client_cert_pem = cred->client_cert_pem;
    current_.client_key_pem = cred->client_key_pem;
    ++current_.cert_generation;
  }
  exec_expiration_ = cred->expiration;
  exec_valid_ = true;
  return Status::Ok();
}

Result<Credentials> CredentialProvider::Get() {
  if (config_.exec) {
    if (!exec_valid_ || (exec_expiration_ && system_now_() >= *exec_expiration_)) {
      PLUMBLINE_RETURN_IF_ERROR(RunExec());
    }
    return current_;
  }
  if (!config_.token.empty() || config_.token_file.empty()) {
    return current_;
  }
  const auto now = steady_now_();
  if (!file_token_valid_ || now - file_token_read_at_ >= token_file_refresh_) {
    auto text = ReadFile(config_.token_file);
    std::string token = text ? Trim(*text) : std::string();
    if (token.empty()) {
      const std::string why = text ? "empty" : text.error().message;
      if (!file_token_valid_) {
        return MakeError(ErrorCode::kIo, "token file " + config_.token_file + ": " + why);
      }
      // Keep the token we have (client-go's caching token source does the same) and try
      // again at the next request.
    } else {
      current_.bearer_token = std::move(token);
      file_token_valid_ = true;
      file_token_read_at_ = now;
    }
  }
  return current_;
}

bool CredentialProvider::Invalidate() {
  if (config_.exec) {
    exec_valid_ = false;
    return true;
  }
  if (config_.token.empty() && !config_.token_file.empty()) {
    file_token_read_at_ = {};
    // Re-read on the next Get, keeping the old token if the file is unreadable.
    if (file_token_valid_) {
      file_token_read_at_ = steady_now_() - token_file_refresh_;
    }
    return true;
  }
  return false;
}

}  // namespace plumbline::agent
