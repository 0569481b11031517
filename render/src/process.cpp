#include "plumbline/render/process.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // NOLINT: POSIX

namespace plumbline::render {

std::string FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return access(name.c_str(), X_OK) == 0 ? name : std::string();
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t colon = dirs.find(':', start);
    if (colon == std::string::npos) {
      colon = dirs.size();
    }
    std::string candidate = dirs.substr(start, colon - start) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = colon + 1;
  }
  return {};
}

Result<ProcessOutput> RunProcess(const std::vector<std::string>& argv, const std::string& cwd,
                                 const std::string& input, std::size_t max_output) {
  if (argv.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "empty command");
  }
  const std::string program = FindProgram(argv[0]);
  if (program.empty()) {
    return MakeError(ErrorCode::kUnavailable, argv[0] + ": not found in PATH");
  }
  int in_pipe[2];
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    return MakeError(ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  if (!cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));  // NOLINT: posix_spawn's signature
  }
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    return MakeError(ErrorCode::kUnavailable, argv[0] + ": " + std::strerror(rc));
  }
  ProcessOutput result;
  std::size_t written = 0;
  int in_fd = in_pipe[1];
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  bool too_big = false;
  int open_fds = 2;
  while (open_fds > 0 || in_fd >= 0) {
    pollfd fds[3];
    nfds_t n = 0;
    if (out_pipe[0] >= 0) {
      fds[n++] = {out_pipe[0], POLLIN, 0};
    }
    if (err_pipe[0] >= 0) {
      fds[n++] = {err_pipe[0], POLLIN, 0};
    }
    if (in_fd >= 0) {
      fds[n++] = {in_fd, POLLOUT, 0};
    }
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) {
        continue;
      }
      if (fds[i].fd == in_fd) {
        const ssize_t w = write(in_fd, input.data() + written, input.size() - written);
        if (w > 0) {
          written += static_cast<std::size_t>(w);
        }
        if (w < 0 || written == input.size()) {
          close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      char buf[65536];
      const ssize_t r = read(fds[i].fd, buf, sizeof(buf));
      if (r <= 0) {
        close(fds[i].fd);
        (fds[i].fd == out_pipe[0] ? out_pipe[0] : err_pipe[0]) = -1;
        --open_fds;
        continue;
      }
      std::string& sink = fds[i].fd == out_pipe[0] ? result.out : result.err;
      if (sink.size() + static_cast<std::size_t>(r) > max_output) {
        too_big = true;
        kill(pid, SIGKILL);
        continue;
      }
      sink.append(buf, static_cast<std::size_t>(r));
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (too_big) {
    return MakeError(ErrorCode::kLimitExceeded,
                     argv[0] + ": output larger than " + std::to_string(max_output) + " bytes");
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

Result<std::string> RunChecked(const std::vector<std::string>& argv, const std::string& cwd) {
  auto r = RunProcess(argv, cwd);
  if (!r) {
    return r.error();
  }
  if (r->exit_code != 0) {
    std::string err = r->err;
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) {
      err.pop_back();
    }
    const auto nl = err.rfind('\n');
    std::string last = nl == std::string::npos ? err : err.substr(nl + 1);
    std::string cmd;
    for (std::size_t i = 0; i < argv.size() && i < 3; ++i) {
      cmd += (i ? " " : "") + argv[i];
    }
    return MakeError(ErrorCode::kIo,
                     "`" + cmd + "` failed (exit " + std::to_string(r->exit_code) + "): " + last);
  }
  return std::move(r->out);
}

}  // namespace plumbline::render
