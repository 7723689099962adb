// The bench's device state (DriverBench::attach_device and friends): the loaded bundle, for
// matching, the attached device and what its cable carried.
#pragma once

#include <netdext/bundle/bundle.h>
#include <netdext/testing/driver_bench.h>

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "device_attachment.h"

namespace netdext::testing {

struct BenchDevices {
    std::optional<bundle::Bundle> bundle; // the loaded bundle (load_bundle), for matching
    std::unique_ptr<DeviceAttachment> attachment;
    std::vector<std::string> match_log;
    // Frames the device put on its cable; the peer runs on device threads.
    struct Wire {
        std::mutex mutex;
        std::vector<Frame> frames;
    };
    std::shared_ptr<Wire> wire;

    // Whether a driver may start: no device, or one a personality matched (and is entitled to).
    bool may_start() const {
        return !attachment || (attachment->provider() != nullptr &&
                               attachment->verdict() == kIOReturnSuccess);
    }

    // Unplugs the cable and tears the providers down (the driver was stopped).
    void release_device() {
        if (attachment) {
            if (model::FramePort *port = attachment->device()->wire())
                port->connect(nullptr);
            attachment->teardown();
            attachment.reset();
        }
        wire.reset();
    }
};

} // namespace netdext::testing
