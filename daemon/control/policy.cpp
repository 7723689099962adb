#include "policy.h"

#include <grp.h>

#include <algorithm>

namespace netdext::control_server {

void Policy::set_admin_group(std::string name) {
    m_group = std::move(name);
    m_group_id.reset();
    if (struct group *g = getgrnam(m_group.c_str()))
        m_group_id = g->gr_gid;
}

std::optional<std::string> Policy::check(const Peer &peer, Need need,
                                         const std::string &verb) const {
    return check(peer, need, verb, m_group, m_group_id);
}

std::optional<std::string> Policy::check(const Peer &peer, Need need, const std::string &verb,
                                         const std::string &group,
                                         std::optional<gid_t> group_id) {
    if (need == Need::anyone || peer.uid == 0)
        return std::nullopt;
    const std::string who = "you are uid " + std::to_string(peer.uid);
    if (need == Need::root)
        return verb + " needs root: it is the user's Allow in System Settings (" + who + ")";
    if (!group_id)
        return verb + " needs root or membership of the group " + group + ", which does not exist (" +
               who + ")";
    const bool member = peer.gid == *group_id ||
                        std::find(peer.groups.begin(), peer.groups.end(), *group_id) !=
                            peer.groups.end();
    if (member)
        return std::nullopt;
    return verb + " needs root or membership of the group " + group + " (" + who +
           ", not in " + group + ")";
}

} // namespace netdext::control_server
