// Runs a daemon as a child process (for pprl demo and end-to-end tests): waits for the port it
// writes to --port-file, and stops it (SIGTERM, then SIGKILL) when destroyed.
#ifndef PPRL_SERVICE_CHILD_PROCESS_H_
#define PPRL_SERVICE_CHILD_PROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace pprl {

class DaemonProcess {
 public:
  // Starts `binary args... --port-file PORTFILE`, stderr to `log_path`.
  DaemonProcess(const std::string& binary, std::vector<std::string> args,
                const std::string& port_file, const std::string& log_path) {
    std::filesystem::remove(port_file);
    args.insert(args.begin(), binary);
    args.push_back("--port-file");
    args.push_back(port_file);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; i < 200 && pid_ > 0; ++i) {
      std::ifstream in(port_file);
      if (in >> port_) break;
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  ~DaemonProcess() { Stop(); }

  bool running() const { return pid_ > 0 && port_ > 0; }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // SIGTERM and wait; returns the exit status (or -1).
  int Stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 400; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ::kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// Runs a command line (through /bin/sh) and returns its exit status; output to `log`.
inline int Shell(const std::string& command) { return std::system(command.c_str()); }

}  // namespace pprl

#endif  // PPRL_SERVICE_CHILD_PROCESS_H_
