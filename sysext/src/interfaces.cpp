// netdext::sysext::driver_status: netdextd's `status` for one extension (interfaces.h).

#include <netdext/sysext/interfaces.h>

#include <netdext/control/client.h>

namespace netdext::sysext {
namespace {

InterfaceStatus interface_from(const nlohmann::json &i) {
    InterfaceStatus out;
    out.name = i.value("name", "");
    out.carrier = i.value("carrier", false);
    out.mtu = i.value("mtu", 0u);
    out.ifindex = i.value("ifindex", 0);
    return out;
}

} // namespace

std::optional<std::vector<DriverStatus>>
driver_status(const std::string &identifier, std::string &error, const std::string &socket_path) {
    auto client = control::Client::connect(
        socket_path.empty() ? control::default_socket_path() : socket_path, error);
    if (!client)
        return std::nullopt;
    auto answer = client->call({{"request", "status"}, {"identifier", identifier}}, error, {},
                               std::chrono::seconds(10));
    if (!answer)
        return std::nullopt;
    if (answer->value("event", "") != "result") {
        error = control::describe_error(*answer);
        return std::nullopt;
    }
    std::vector<DriverStatus> drivers;
    auto dexts = answer->find("dexts");
    if (dexts == answer->end() || !dexts->is_array())
        return drivers;
    for (const nlohmann::json &d : *dexts) {
        if (!d.is_object() || d.value("bundle_id", "") != identifier)
            continue;
        DriverStatus status;
        status.identifier = identifier;
        status.state = d.value("state", "");
        // One interface ("interface"), or several ("interfaces") from a driver that registers more.
        if (auto one = d.find("interface"); one != d.end() && one->is_object())
            status.interfaces.push_back(interface_from(*one));
        if (auto many = d.find("interfaces"); many != d.end() && many->is_array())
            for (const nlohmann::json &i : *many)
                if (i.is_object() &&
                    (status.interfaces.empty() || status.interfaces[0].name != i.value("name", "")))
                    status.interfaces.push_back(interface_from(i));
        drivers.push_back(std::move(status));
    }
    return drivers;
}

} // namespace netdext::sysext
