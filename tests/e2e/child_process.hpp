#pragma once
// The real deploybot binary as a child process with captured stderr.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace deploybot::testing {

using namespace std::chrono_literals;

// A child process with captured stderr.
class child {
public:
    child(std::vector<std::string> args, std::vector<std::string> env) {
        int fds[2];
        REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
        pid_ = fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            dup2(fds[1], 2);
            std::vector<char*> argv, envp;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            for (auto& e : env) envp.push_back(e.data());
            envp.push_back(nullptr);
            execve(argv[0], argv.data(), envp.data());
            _exit(127);
        }
        close(fds[1]);
        err_fd_ = fds[0];
        reader_ = std::thread([this] {
            char buf[4096];
            while (true) {
                ssize_t n = read(err_fd_, buf, sizeof buf);
                if (n <= 0) break;
                std::lock_guard lock(mutex_);
                stderr_.append(buf, static_cast<std::size_t>(n));
                changed_.notify_all();
            }
        });
    }
    ~child() {
        if (pid_ > 0 && !exit_code_) {
            kill(pid_, SIGKILL);
            wait_exit(5s);
        }
        if (reader_.joinable()) reader_.join();
        close(err_fd_);
    }
    std::string err() {
        std::lock_guard lock(mutex_);
        return stderr_;
    }
    bool wait_stderr(std::string_view needle, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return stderr_.find(needle) != std::string::npos; });
    }
    void signal(int sig) { kill(pid_, sig); }
    // Polls waitpid with a deadline (a child exit has no fd to wait on here).
    std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!exit_code_) {
            int status = 0;
            pid_t r = waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                break;
            }
            if (std::chrono::steady_clock::now() > deadline) break;
            poll(nullptr, 0, 20);
        }
        return exit_code_;
    }

private:
    pid_t pid_ = -1;
    int err_fd_ = -1;
    std::thread reader_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::string stderr_;
    std::optional<int> exit_code_;
};

}  // namespace deploybot::testing
