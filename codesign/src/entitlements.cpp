// A dext's entitlements and DriverKit's rules for them (entitlements.h).

#include <netdext/codesign/entitlements.h>
#include <netdext/registry/wire.h>

namespace netdext::entitlements {

using registry::Value;

std::optional<Entitlements> Entitlements::parse(std::string_view xml, std::string &error) {
    registry::WireError wire;
    auto value = registry::value_from_plist(xml, wire);
    if (!value) {
        error = wire.message;
        return std::nullopt;
    }
    if (!value->is(Value::Type::dictionary)) {
        error = "the top level is not a dictionary";
        return std::nullopt;
    }
    return from_dictionary(std::move(*value));
}

Entitlements Entitlements::from_dictionary(Value dictionary) {
    Entitlements out;
    if (dictionary.is(Value::Type::dictionary))
        out.m_values = std::move(dictionary);
    return out;
}

Entitlements Entitlements::network_driver() {
    return from_dictionary(Value::dictionary(
        {{kDriverKit, Value::boolean(true)}, {kFamilyNetworking, Value::boolean(true)}}));
}

bool Entitlements::granted(std::string_view key) const {
    const Value *value = m_values.find(key);
    if (value == nullptr)
        return false;
    switch (value->type()) {
    case Value::Type::boolean:
        return value->boolean_value();
    case Value::Type::array:
        return !value->items().empty();
    case Value::Type::dictionary:
        return !value->members().empty();
    case Value::Type::string:
    case Value::Type::data:
        return !value->bytes().empty();
    case Value::Type::number:
        return value->number_value() != 0;
    }
    return false;
}

std::vector<std::string> Entitlements::granted_keys() const {
    std::vector<std::string> out;
    for (const Value::Member &member : m_values.members())
        if (granted(member.key))
            out.push_back(member.key);
    return out;
}

const char *transport_for_provider(std::string_view provider_class) {
    // USBDriverKit's and PCIDriverKit's provider classes.
    if (provider_class == "IOUSBHostDevice" || provider_class == "IOUSBHostInterface")
        return kTransportUSB;
    if (provider_class == "IOPCIDevice")
        return kTransportPCI;
    return nullptr;
}

std::optional<Denial> check_launch(const Entitlements &entitlements, std::string_view who,
                                   std::string_view provider_class) {
    const std::string name(who);
    if (!entitlements.granted(kDriverKit))
        return Denial{kDriverKit, name + ": the entitlement " + kDriverKit +
                                      " is missing; no dext launches without it"};
    if (const char *transport = transport_for_provider(provider_class);
        transport != nullptr && !entitlements.granted(transport))
        return Denial{transport, name + ": its personality matches an " +
                                     std::string(provider_class) + ", which needs the entitlement " +
                                     transport};
    return std::nullopt;
}

const char *family_for_class(std::string_view io_class) {
    return io_class == "IOUserNetworkEthernet" ? kFamilyNetworking : nullptr;
}

std::optional<Denial> check_family(const Entitlements &entitlements, std::string_view who,
                                   std::string_view io_class) {
    const char *family = family_for_class(io_class);
    if (family == nullptr || entitlements.granted(family))
        return std::nullopt;
    return Denial{family, std::string(who) + ": its personality's IOClass " +
                              std::string(io_class) + " needs the entitlement " + family};
}

std::optional<Denial> check_register_ethernet(const Entitlements &entitlements,
                                              std::string_view who) {
    if (entitlements.granted(kFamilyNetworking))
        return std::nullopt;
    return Denial{kFamilyNetworking, std::string(who) + ": the entitlement " + kFamilyNetworking +
                                         " is missing; RegisterEthernetInterface is not permitted"};
}

} // namespace netdext::entitlements
