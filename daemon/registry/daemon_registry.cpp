// netdextd's registry IDs and tree (see daemon_registry.h).

#include "daemon_registry.h"

namespace netdext::daemon::registry {

namespace reg = netdext::registry;

DaemonRegistry::DaemonRegistry() {
    reg::Entry root = reg::make_root(m_ids); // takes the first three IDs, in this order
    m_root_id = root.id;
    m_resources_id = root.children.at(0).id;
    m_user_resources_id = root.children.at(1).id;
}

IdBlock DaemonRegistry::reserve_host_block() {
    return IdBlock{m_ids.reserve(kHostIdBlock), kHostIdBlock};
}

reg::Entry DaemonRegistry::tree(const std::vector<reg::DriverServiceDescription> &services) const {
    reg::IdAllocator ids(m_root_id);
    reg::Entry root = reg::make_root(ids); // the same three IDs again
    reg::Entry *user = reg::user_resources(root);
    std::vector<uint64_t> real;
    for (const reg::DriverServiceDescription &service : services) {
        user->children.push_back(reg::make_driver_service(service));
        if (service.retain_count != 0)
            real.push_back(service.id);
        for (const reg::PortServiceDescription &port : service.ports)
            if (port.retain_count != 0)
                real.push_back(port.id);
    }
    reg::model_retain_counts(root, real);
    return root;
}

} // namespace netdext::daemon::registry
