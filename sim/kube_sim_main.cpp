// kube-sim: a Kubernetes API server simulator (docs/kube-sim.md).
//   kube-sim --listen 127.0.0.1:PORT [--tls-cert F --tls-key F] [--token T]... [--load FILE|DIR]...
//            [--state FILE] [--history N] [--bookmark-interval-ms N]
// Prints "kube-sim listening on URL" once it accepts connections. SIGTERM/SIGINT exit cleanly
// (saving --state).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "plumbline/render/manifest.h"
#include "plumbline/sim/api.h"
#include "plumbline/sim/http_server.h"

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "kube-sim: error: %s\n", message.c_str());
  return 2;
}

bool WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) {
      return false;
    }
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  plumbline::sim::ServerOptions server_options;
  plumbline::sim::ApiOptions api_options;
  std::vector<std::string> loads;
  std::string state_file;
  std::string load_manager = "kube-sim-load";
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= args.size()) {
        return false;
      }
      out = args[++i];
      return true;
    };
    std::string v;
    if (a == "--listen" && value(v)) {
      const auto colon = v.rfind(':');
      if (colon == std::string::npos) {
        return Fail("--listen needs HOST:PORT");
      }
      server_options.address = v.substr(0, colon);
      if (server_options.address.size() > 1 && server_options.address.front() == '[') {
        server_options.address =
            server_options.address.substr(1, server_options.address.size() - 2);
      }
      server_options.port =
          static_cast<std::uint16_t>(std::strtoul(v.c_str() + colon + 1, nullptr, 10));
    } else if (a == "--tls-cert" && value(v)) {
      server_options.tls_cert_file = v;
    } else if (a == "--tls-key" && value(v)) {
      server_options.tls_key_file = v;
    } else if (a == "--token" && value(v)) {
      server_options.tokens.push_back(v);
    } else if (a == "--load" && value(v)) {
      loads.push_back(v);
    } else if (a == "--load-manager" && value(v)) {
      load_manager = v;
    } else if (a == "--state" && value(v)) {
      state_file = v;
    } else if (a == "--history" && value(v)) {
      api_options.history_limit = std::strtoull(v.c_str(), nullptr, 10);
    } else if (a == "--bookmark-interval-ms" && value(v)) {
      api_options.bookmark_interval_ms = std::strtoull(v.c_str(), nullptr, 10);
    } else if (a == "--help" || a == "-h") {
      std::puts(
          "usage: kube-sim [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE] [--token T]...\n"
          "                [--load FILE|DIR]... [--load-manager NAME] [--state FILE]\n"
          "                [--history EVENTS] [--bookmark-interval-ms MS]");
      return 0;
    } else {
      return Fail("unknown or incomplete option " + a);
    }
  }
  if (server_options.tls_cert_file.empty() != server_options.tls_key_file.empty()) {
    return Fail("--tls-cert and --tls-key go together");
  }

  plumbline::sim::Api api(api_options);
  if (!state_file.empty() && std::filesystem::exists(state_file)) {
    std::ifstream in(state_file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (auto st = api.Restore(text); !st) {
      return Fail(state_file + ": " + st.error().message);
    }
  }
  for (const auto& path : loads) {
    auto manifests = plumbline::render::ReadManifestPath(path);
    if (!manifests) {
      return Fail(manifests.error().message);
    }
    for (const auto& m : *manifests) {
      if (auto st = api.Load(m.object, load_manager); !st) {
        return Fail(m.file + ": " + st.error().message);
      }
    }
  }

  boost::asio::io_context io;
  plumbline::sim::HttpServer server(io, api, server_options);
  auto port = server.Start();
  if (!port) {
    return Fail(port.error().message);
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) {
      return;
    }
    server.Stop();
    io.stop();
  });
  const bool tls = !server_options.tls_cert_file.empty();
  const std::string host = server_options.address.find(':') != std::string::npos
                               ? "[" + server_options.address + "]"
                               : server_options.address;
  std::printf("kube-sim listening on %s://%s:%u\n", tls ? "https" : "http", host.c_str(),
              static_cast<unsigned>(*port));
  std::fflush(stdout);
  try {
    io.run();
  } catch (const std::exception& e) {
    return Fail(std::string("internal error: ") + e.what());
  }
  if (!state_file.empty() && !WriteFileAtomically(state_file, api.Snapshot())) {
    return Fail("cannot write state file " + state_file);
  }
  return 0;
}
