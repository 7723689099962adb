// ScopedNetns: a network namespace a test (or benchmark) creates, uses and always removes.
//
// Compatible with iproute2's `ip netns add`: the namespace is bind-mounted at
// /run/netns/<name>, so `ip netns exec <name> …` and `ip -n <name> …` work on it. The name is
// "<prefix>-<pid>-<n>": unique per process, and create() first removes namespaces whose owning
// process is gone (a test killed by a timeout cannot run destructors).
//
// setns(CLONE_NEWNET) moves only the calling thread, so code runs inside the namespace on a
// thread made for it: run() for a call that returns, spawn() for a thread that keeps running.
// Sockets, TAP fds and netlink sockets created there stay bound to the namespace and may then be
// used from any thread. The test's main thread never changes namespace.
//
// Threads: create(), run(), spawn(), sh() may be called from any thread; the destructor must
// run after every thread spawn() started has been joined.
#pragma once

#include "common/result.h"
#include "common/unique_fd.h"

#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

namespace netdext::testing {

class ScopedNetns {
public:
    // A new, empty namespace with the loopback interface up (`ip netns add` leaves it down).
    static Result<ScopedNetns> create(std::string_view prefix = "ndxt");
    // Removes /run/netns/<prefix>-<pid>-* left by processes that no longer exist.
    static void remove_stale(std::string_view prefix = "ndxt");

    ScopedNetns(ScopedNetns &&other) noexcept;
    ScopedNetns &operator=(ScopedNetns &&other) noexcept;
    ScopedNetns(const ScopedNetns &) = delete;
    ScopedNetns &operator=(const ScopedNetns &) = delete;
    // Unmounts and unlinks the namespace; it is freed once nothing else holds it (open fds,
    // sockets, processes inside). Interfaces in it are deleted with it.
    ~ScopedNetns();

    [[nodiscard]] const std::string &name() const { return m_name; }
    [[nodiscard]] std::string path() const { return "/run/netns/" + m_name; }

    // Moves the calling thread into the namespace. Only for threads the caller created.
    Result<void> enter_this_thread() const;

    // Runs `function` on a new thread inside the namespace and returns what it returns.
    // Exceptions thrown by `function` are rethrown here.
    template <class F> std::invoke_result_t<F &> run(F &&function) const {
        using R = std::invoke_result_t<F &>;
        std::exception_ptr failure;
        std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> result;
        std::thread worker([&] {
            NETDEXT_VERIFY(!enter_this_thread().is_error());
            try {
                if constexpr (std::is_void_v<R>) {
                    function();
                    result.emplace(true);
                } else {
                    result.emplace(function());
                }
            } catch (...) {
                failure = std::current_exception();
            }
        });
        worker.join();
        if (failure)
            std::rethrow_exception(failure);
        if constexpr (!std::is_void_v<R>)
            return std::move(*result);
    }

    // Starts a thread inside the namespace running `function`. The caller joins it.
    template <class F> std::thread spawn(F &&function) const {
        return std::thread([fd = m_fd.get(), function = std::forward<F>(function)]() mutable {
            NETDEXT_VERIFY(!enter(fd).is_error());
            function();
        });
    }

    struct CommandResult {
        int exit_code = -1; // -1: could not be run or was killed by a signal
        std::string output; // stdout and stderr, interleaved
        [[nodiscard]] bool ok() const { return exit_code == 0; }
    };
    // `ip netns exec <name> sh -c <command>`: a shell with the namespace's own /sys mounted, so
    // `cat /sys/class/net/en0/mtu` reads the namespace's interface.
    [[nodiscard]] CommandResult sh(const std::string &command) const;

private:
    ScopedNetns(std::string name, UniqueFd fd) : m_name(std::move(name)), m_fd(std::move(fd)) {}
    static Result<void> enter(int netns_fd);
    void remove();

    std::string m_name;
    UniqueFd m_fd; // the namespace, for setns()
};

} // namespace netdext::testing
