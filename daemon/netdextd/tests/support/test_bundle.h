// The bundle a DextSession is attached with in the unit tests and the fuzzer: a network
// personality (IOClass IOUserNetworkEthernet) whose entitlements the caller picks.
#pragma once

#include <netdext/bundle/bundle.h>

namespace netdext::daemon::testing {

inline bundle::Bundle test_bundle(bool driverkit = true, bool networking = true) {
    bundle::Bundle b;
    b.path = "/nonexistent/TestNic.dext";
    b.bundle_id = "com.example.netdext.test.SessionNic";
    b.executable = "TestNic";
    bundle::Personality personality;
    personality.name = "TestNic";
    personality.user_class = "TestNic";
    personality.io_class = "IOUserNetworkEthernet";
    b.personalities.push_back(personality);
    b.entitlements[bundle::kDriverKitEntitlement] = driverkit;
    b.entitlements[bundle::kNetworkingEntitlement] = networking;
    return b;
}

} // namespace netdext::daemon::testing
