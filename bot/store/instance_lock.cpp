#include "bot/store/instance_lock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/file.h>
#include <unistd.h>
#include <utility>

namespace deploybot {

instance_lock::~instance_lock() {
    if (fd_ >= 0) ::close(fd_);   // closing the descriptor releases the flock
}

instance_lock::instance_lock(instance_lock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}

instance_lock& instance_lock::operator=(instance_lock&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
}

instance_lock instance_lock::acquire(const std::string& storage_path, std::string& why_not) {
    const std::string path = storage_path + ".lock";
    instance_lock lock;
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        why_not = "cannot open the lock file " + path + ": " + std::strerror(errno);
        return lock;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        char buf[32] = {};
        const auto n = ::pread(fd, buf, sizeof buf - 1, 0);
        std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("?");
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
        ::close(fd);
        if (err == EWOULDBLOCK)
            why_not = "another deploybot (pid " + holder + ") is running on storage.path " + storage_path +
                      "; only one may use a database at a time. Stop it first, or give this one its own storage.path.";
        else
            why_not = "cannot lock " + path + ": " + std::strerror(err);
        return lock;
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
    lock.fd_ = fd;
    return lock;
}

}  // namespace deploybot
