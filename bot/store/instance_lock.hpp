#pragma once
#include <string>

namespace deploybot {

// One bot per database: an exclusive, non-blocking flock(2) on
// "<storage.path>.lock", held for the life of the process. The kernel drops it
// when the process dies, however it dies (kill -9 included), so a stale lock
// never blocks a restart. The file holds the holder's pid, for the message.
class instance_lock {
public:
    instance_lock() = default;
    ~instance_lock();
    instance_lock(instance_lock&& o) noexcept;
    instance_lock& operator=(instance_lock&& o) noexcept;
    instance_lock(const instance_lock&) = delete;
    instance_lock& operator=(const instance_lock&) = delete;

    // Takes the lock, or says why not: "another deploybot (pid 1234) is running
    // on storage.path /x/deploybot.sqlite3; ..." / "cannot open /x.lock: ...".
    static instance_lock acquire(const std::string& storage_path, std::string& why_not);

    bool held() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

}  // namespace deploybot
