// Cluster connection settings: where the API server is and how to authenticate to it, read from a
// kubeconfig (kubectl's rules) or from the pod's service account (in-cluster), plus the
// CredentialProvider that turns them into a bearer token or client certificate at request time
// (token files re-read, exec credential plugins re-run when their credential expires or after a
// 401).
//
// Threading: LoadClusterConfig is a plain function (any thread). A CredentialProvider belongs to
// one ApiClient and is used on its io thread only; it reads files and runs exec plugins
// synchronously (as client-go does), which blocks that thread for the plugin's run time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "plumbline/common/result.h"

namespace plumbline::agent {

// A kubeconfig `users[].user.exec` entry (client.authentication.k8s.io/v1 or v1beta1).
struct ExecConfig {
  std::string api_version;  // "client.authentication.k8s.io/v1" or ".../v1beta1"
  std::string command;      // resolved against the kubeconfig's folder when relative with a '/'
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string install_hint;
  bool provide_cluster_info = false;
};

struct ClusterConfig {
  std::string server;           // "https://10.0.0.1:6443" (a path prefix is kept: base_path)
  bool tls = true;              // https
  std::string host;             // from server, without brackets for IPv6
  std::string port;             // "443" when the URL has none (https), "80" (http)
  std::string base_path;        // "" or "/k8s/clusters/c-1" (no trailing '/')
  std::string tls_server_name;  // kubeconfig tls-server-name: SNI and name checked, else host
  std::string ca_pem;           // trusted CAs (PEM); empty: the system's default paths
  bool insecure_skip_tls_verify = false;
  std::string client_cert_pem;  // static client certificate and key (PEM)
  std::string client_key_pem;
  std::string token;       // static bearer token
  std::string token_file;  // re-read periodically (bound service account tokens rotate)
  std::optional<ExecConfig> exec;
  std::string namespace_;  // the context's namespace (in-cluster: the pod's), may be empty
  bool in_cluster = false;
  std::string origin;  // "kubeconfig /path (context x)" or "in-cluster", for messages
};

struct ClusterConfigOptions {
  std::string kubeconfig;  // --kubeconfig; empty: $KUBECONFIG, ~/.kube/config, in-cluster
  std::string context;     // --context; empty: current-context
  // The service account folder (token, ca.crt, namespace), overridable for tests.
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  // Environment lookup (KUBECONFIG, HOME, KUBERNETES_SERVICE_HOST/PORT); unset: getenv.
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

// Loads the cluster settings: --kubeconfig, else the first existing files of $KUBECONFIG (merged
// the way kubectl merges: the first file naming a cluster/user/context wins), else
// ~/.kube/config, else in-cluster when KUBERNETES_SERVICE_HOST is set. Errors name the file and
// the key ("kubeconfig /x: users[admin].user.client-key: open /y: No such file or directory").
Result<ClusterConfig> LoadClusterConfig(ClusterConfigOptions options);

// Loads the in-cluster settings from the service account folder and environment.
Result<ClusterConfig> LoadInClusterConfig(ClusterConfigOptions options);

// Parses a kubeconfig text (`path` is used for messages and to resolve relative paths).
Result<ClusterConfig> ParseKubeconfig(const std::string& text, const std::string& path,
                                      const std::string& context);

// What the API client sends: a bearer token and/or a client certificate.
struct Credentials {
  std::string bearer_token;
  std::string client_cert_pem;
  std::string client_key_pem;
  // Bumped whenever the client certificate changes (the TLS context must be rebuilt).
  std::uint64_t cert_generation = 0;
};

// The result of an exec credential plugin.
struct ExecCredential {
  std::string token;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expiration;
};

// Parses an ExecCredential (stdout of a plugin) of apiVersion `api_version`.
Result<ExecCredential> ParseExecCredential(const std::string& json, const std::string& api_version);

// Parses an RFC 3339 timestamp ("2026-11-23T18:00:00Z", offsets and fractions allowed).
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(const std::string& text);

class CredentialProvider {
 public:
  using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;
  using SystemNow = std::function<std::chrono::system_clock::time_point()>;

  // token_file_refresh: how long a token read from a file is used before it is read again.
  explicit CredentialProvider(
      ClusterConfig config, std::chrono::milliseconds token_file_refresh = std::chrono::minutes(1),
      SteadyNow steady_now = {}, SystemNow system_now = {});

  // The credentials to send now: re-reads the token file when due, runs the exec plugin when it
  // has no credential yet or its credential expired. Errors name the file or plugin.
  Result<Credentials> Get();

  // After a 401: forget cached tokens so the next Get reads or runs them again. Returns whether
  // anything can change (a token file or a plugin); a static token cannot.
  bool Invalidate();

  // How many times the exec plugin ran (tests).
  int exec_runs() const { return exec_runs_; }

 private:
  Status RunExec();

  ClusterConfig config_;
  std::chrono::milliseconds token_file_refresh_;
  SteadyNow steady_now_;
  SystemNow system_now_;
  Credentials current_;
  bool file_token_valid_ = false;
  std::chrono::steady_clock::time_point file_token_read_at_{};
  bool exec_valid_ = false;
  std::optional<std::chrono::system_clock::time_point> exec_expiration_;
  int exec_runs_ = 0;
};

}  // namespace plumbline::agent
