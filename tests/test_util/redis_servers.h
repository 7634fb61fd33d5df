#ifndef RECD_TESTS_TEST_UTIL_REDIS_SERVERS_H_
#define RECD_TESTS_TEST_UTIL_REDIS_SERVERS_H_

// Real redis-server processes for tests: one standalone server (optionally
// with replicas), or a Redis Cluster made with `redis-cli --cluster create`,
// on free loopback ports with their files in a temporary directory. Every
// server runs with appendonly yes / appendfsync always, as the README asks of
// production. The destructor SIGKILLs them, and each child also dies with
// the test process (PR_SET_PDEATHSIG), so a failing or crashing test leaves
// nothing running. Not thread-safe.

#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "store/redis/redis_connection.h"

namespace recd {

class RedisServers {
 public:
  // Empty when redis-server and redis-cli are on PATH, else why not.
  static std::string Missing() {
    static const std::string missing = [] {
      for (const char* tool : {"redis-server", "redis-cli"}) {
        if (std::system(absl::StrCat("command -v ", tool, " >/dev/null 2>&1").c_str()) != 0) {
          return absl::StrCat(tool, " is not installed (scripts/install-deps.sh installs redis-server and redis-tools)");
        }
      }
      return std::string();
    }();
    return missing;
  }

  // One standalone server and `replicas` replicas of it. Null with *error set on failure.
  static std::unique_ptr<RedisServers> StartStandalone(int replicas, std::string* error) {
    auto s = std::unique_ptr<RedisServers>(new RedisServers());
    if (!s->Spawn(false, "", error)) return nullptr;
    const std::string primary = s->address(0);
    for (int i = 0; i < replicas; ++i) {
      if (!s->Spawn(false, primary, error)) return nullptr;
    }
    for (int i = 0; i < replicas; ++i) {
      if (!s->WaitFor(1 + i, {"INFO", "replication"}, "master_link_status:up", error)) return nullptr;
    }
    return s;
  }

  // A cluster of `primaries` primaries with `replicas` replicas each. A
  // primary silent for node_timeout_ms is failed over to one of its
  // replicas; without replicas its slots stop being served.
  static std::unique_ptr<RedisServers> StartCluster(int primaries, int replicas, std::string* error,
                                                    int node_timeout_ms = 5000) {
    auto s = std::unique_ptr<RedisServers>(new RedisServers());
    s->node_timeout_ms_ = node_timeout_ms;
    const int n = primaries * (1 + replicas);
    for (int i = 0; i < n; ++i) {
      if (!s->Spawn(true, "", error)) return nullptr;
    }
    std::vector<std::string> addresses;
    for (int i = 0; i < n; ++i) addresses.push_back(s->address(i));
    const std::string log = s->dir_ + "/create.log";
    const std::string cmd = absl::StrCat("redis-cli --cluster create ", absl::StrJoin(addresses, " "),
                                         " --cluster-replicas ", replicas, " --cluster-yes >", log, " 2>&1");
    if (std::system(cmd.c_str()) != 0) {
      *error = absl::StrCat("redis-cli --cluster create failed; see ", log);
      s->keep_dir_ = true;
      return nullptr;
    }
    for (int i = 0; i < n; ++i) {
      if (!s->WaitFor(i, {"CLUSTER", "INFO"}, "cluster_state:ok", error)) return nullptr;
    }
    return s;
  }

  ~RedisServers() {
    for (pid_t pid : pids_) Kill(pid);
    std::error_code ignored;
    if (!keep_dir_) std::filesystem::remove_all(dir_, ignored);
  }
  RedisServers(const RedisServers&) = delete;
  RedisServers& operator=(const RedisServers&) = delete;

  size_t size() const { return ports_.size(); }
  int port(size_t i) const { return ports_[i]; }
  std::string address(size_t i) const { return absl::StrCat("127.0.0.1:", ports_[i]); }

  // SIGSTOPs / SIGCONTs server i: a hung server, for timeout tests.
  void Pause(size_t i) { kill(pids_[i], SIGSTOP); }
  void Resume(size_t i) { kill(pids_[i], SIGCONT); }

  // SIGKILLs server i (a crash: nothing is flushed).
  void KillServer(size_t i) {
    Kill(pids_[i]);
    pids_[i] = -1;
  }

  // Starts server i again after KillServer(i), on its port with its files,
  // as a supervisor would: a cluster node rejoins its cluster (as a replica
  // of the node promoted in its place, if it was failed over).
  bool RestartServer(size_t i, std::string* error) {
    if (pids_[i] > 0) {
      *error = absl::StrCat("redis ", address(i), " is still running");
      return false;
    }
    return Exec(i, error) && WaitFor(i, {"PING"}, "PONG", error);
  }

  // Runs one command on server i; the reply, or an error reply "ERR ...".
  RedisReply Command(size_t i, RedisCommand command) {
    RedisConnection::Options o;
    o.host = "127.0.0.1";
    o.port = ports_[i];
    o.command_timeout = absl::Seconds(5);
    auto conn = RedisConnection::Connect(o);
    RedisReply out;
    out.type = RedisReply::Type::kError;
    if (!conn.ok()) {
      out.str = std::string(conn.status().message());
      return out;
    }
    auto r = (*conn)->Pipeline({&command, 1});
    if (!r.ok()) {
      out.str = std::string(r.status().message());
      return out;
    }
    return (*r)[0];
  }

  // Runs `redis-cli <args>` and returns its exit code; output goes to the log.
  int Cli(const std::string& args) {
    return std::system(absl::StrCat("redis-cli ", args, " >>", dir_, "/cli.log 2>&1").c_str());
  }

  const std::string& dir() const { return dir_; }

 private:
  RedisServers() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "recd_redis_XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) dir_ = tmpl;
  }

  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    close(fd);
    return port;
  }

  static void Kill(pid_t pid) {
    if (pid <= 0) return;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }

  // Starts a server and waits until it answers PING.
  bool Spawn(bool cluster, const std::string& replica_of, std::string* error) {
    // The cluster bus listens on port + 10000: keep both below 65536.
    int port = 0;
    for (int tries = 0; tries < 50 && (port == 0 || port > 55000); ++tries) port = FreePort();
    const std::string p = absl::StrCat(port);
    std::vector<std::string> args = {"redis-server", "--port", p, "--bind", "127.0.0.1", "--dir", dir_,
                                     "--dbfilename", "dump-" + p + ".rdb", "--appendonly", "yes",
                                     "--appendfsync", "always", "--appenddirname", "aof-" + p, "--save", "",
                                     "--logfile", dir_ + "/" + p + ".log", "--daemonize", "no",
                                     // Replicas sync at once, not after the default 5 s.
                                     "--repl-diskless-sync-delay", "0"};
    if (cluster) {
      for (const char* a : {"--cluster-enabled", "yes", "--cluster-node-timeout"}) args.push_back(a);
      args.push_back(absl::StrCat(node_timeout_ms_));
      args.push_back("--cluster-config-file");
      args.push_back(dir_ + "/nodes-" + p + ".conf");
    }
    if (!replica_of.empty()) {
      args.push_back("--replicaof");
      args.push_back(replica_of.substr(0, replica_of.rfind(':')));
      args.push_back(replica_of.substr(replica_of.rfind(':') + 1));
    }
    pids_.push_back(-1);
    ports_.push_back(port);
    args_.push_back(std::move(args));
    return Exec(ports_.size() - 1, error) && WaitFor(ports_.size() - 1, {"PING"}, "PONG", error);
  }

  // Forks and execs server i with its arguments.
  bool Exec(size_t i, std::string* error) {
    std::vector<char*> argv;
    for (std::string& a : args_[i]) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);
      execvp("redis-server", argv.data());
      _exit(127);
    }
    if (pid < 0) {
      *error = "fork failed";
      return false;
    }
    pids_[i] = pid;
    return true;
  }


 public:
  // Polls `command` on server i every 20 ms, for up to 10 s, until its reply contains `want`.
  bool WaitFor(size_t i, RedisCommand command, const std::string& want, std::string* error) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    RedisReply last;
    while (std::chrono::steady_clock::now() < deadline) {
      last = Command(i, command);
      if (absl::StrContains(last.str, want)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    *error = absl::StrCat("redis ", address(i), ": no '", want, "' within 10 s (last: ", last.str, "); logs in ", dir_);
    keep_dir_ = true;
    return false;
  }

 private:
  std::string dir_;
  bool keep_dir_ = false;
  int node_timeout_ms_ = 5000;
  std::vector<pid_t> pids_;
  std::vector<int> ports_;
  std::vector<std::vector<std::string>> args_;  // each server's redis-server command line
};

}  // namespace recd

#endif  // RECD_TESTS_TEST_UTIL_REDIS_SERVERS_H_
