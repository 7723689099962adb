// Who may do what over the control socket, decided from the peer's credentials (SO_PEERCRED and
// SO_PEERGROUPS, taken by the kernel at connect time, so a client cannot claim another identity):
//
//   read   version, list, properties, status, log, watch           anyone
//   admin  activate, deactivate, uninstall, reset, developer,      root, or a member of the admin
//          restart, boot-args (setting)                            group (default "netdext")
//   root   approve (System Settings' Allow)                        root only
//
// Threads: the daemon's main thread.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace netdext::control_server {

struct Peer {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups; // supplementary groups
};

enum class Need { anyone, admin, root };

class Policy {
public:
    explicit Policy(std::string admin_group = "netdext") { set_admin_group(std::move(admin_group)); }

    // Looks the group up now (a group created later is seen after the next reload, SIGHUP).
    void set_admin_group(std::string name);
    [[nodiscard]] const std::string &admin_group() const { return m_group; }

    // nullopt when `peer` may make request `verb`; otherwise the refusal, naming what is needed.
    [[nodiscard]] std::optional<std::string> check(const Peer &peer, Need need,
                                                   const std::string &verb) const;

    // The same decision for an explicit group id (nullopt: the group does not exist) — for tests.
    static std::optional<std::string> check(const Peer &peer, Need need, const std::string &verb,
                                            const std::string &group,
                                            std::optional<gid_t> group_id);

private:
    std::string m_group;
    std::optional<gid_t> m_group_id;
};

} // namespace netdext::control_server
