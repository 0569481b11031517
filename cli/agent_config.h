// The agent's configuration file (docs/configuration.md): YAML, `${ENV}` substituted in string
// values (`$${` keeps a literal `${`), every key checked; an error names the file and the key.
// Command-line flags override it. Stateless; one thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "plumbline/agent/agent.h"
#include "plumbline/common/result.h"
#include "plumbline/hashing/policy.h"
#include "plumbline/hashing/value.h"

namespace plumbline::cli {

struct AgentConfig {
  agent::AgentOptions agent;
  std::string kubeconfig;
  std::string context;
  std::string policy_file;                      // policy: PATH
  std::optional<hashing::Value> policy_inline;  // policy: {...}
  std::string hmac_key_file;
  std::string events_file;  // JSON lines; "-" stdout; empty: stdout unless other sinks exist
  std::string log_level = "info";
  bool per_resource_series = false;
  std::size_t per_resource_series_limit = 500;
  std::vector<hashing::Value> sinks;  // each a map with `type:` (docs/configuration.md)
  std::string spool_dir;
  std::uint64_t spool_max_bytes = 256ull << 20;
};

// Reads and checks the file.
Result<AgentConfig> LoadAgentConfig(const std::string& path);
// The same from an already parsed document; `where` names it in errors.
Result<AgentConfig> ParseAgentConfig(hashing::Value doc, const std::string& where);

// "10s", "500ms", "2m", "1h", or a plain number of seconds.
Result<std::chrono::milliseconds> ParseDuration(const hashing::Value& v, const std::string& key);

// Replaces ${NAME} in every string of `v` from the environment; a variable that is not set is
// an error naming `key` (the path of the string).
Status SubstituteEnv(hashing::Value& v, const std::string& key);

}  // namespace plumbline::cli
