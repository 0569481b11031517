// A small argument reader shared by the subcommands: "--flag VALUE", "--flag=VALUE", "-n VALUE",
// and positional arguments.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "plumbline/common/result.h"

namespace plumbline::cli {

struct ParsedArgs {
  std::map<std::string, std::string> flags;
  std::vector<std::string> positional;

  std::string Get(const std::string& name, const std::string& fallback = "") const {
    auto it = flags.find(name);
    return it == flags.end() ? fallback : it->second;
  }
  bool Has(const std::string& name) const { return flags.count(name) != 0; }
};

// `known` lists the accepted flags with their leading dashes ("--target", "-n").
inline Result<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                    const std::set<std::string>& known) {
  ParsedArgs out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() > 1 && a[0] == '-') {
      std::string name = a;
      std::string value;
      bool has_value = false;
      if (auto eq = a.find('='); eq != std::string::npos) {
        name = a.substr(0, eq);
        value = a.substr(eq + 1);
        has_value = true;
      }
      if (known.count(name) == 0) {
        return MakeError(ErrorCode::kInvalidArgument, "unknown option " + name);
      }
      if (!has_value) {
        if (i + 1 >= args.size()) {
          return MakeError(ErrorCode::kInvalidArgument, "option " + name + " needs a value");
        }
        value = args[++i];
      }
      out.flags[name] = value;
    } else {
      out.positional.push_back(a);
    }
  }
  return out;
}

}  // namespace plumbline::cli
