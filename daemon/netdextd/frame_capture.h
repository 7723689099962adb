// FrameCapture: optional pcap files of what crosses the driver boundary — the frames netdextd
// hands to the driver on TX submission and the frames the driver completes on RX completion —
// so a capture on en<N> can be cross-checked against what the driver actually saw.
// Off unless netdextd runs with --capture DIR. Used only by the frame mover thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace netdext::daemon {

class FrameCapture {
public:
    // Opens DIR/<ifname>-tx-submission.pcap and DIR/<ifname>-rx-completion.pcap.
    static std::unique_ptr<FrameCapture> open(const std::string &dir, const std::string &ifname,
                                              std::string &error);
    ~FrameCapture();
    void tx_submitted(std::span<const std::byte> frame);
    void rx_completed(std::span<const std::byte> frame);
    void flush();

    struct File; // one pcap file (frame_capture.cpp)

private:
    FrameCapture() = default;
    std::unique_ptr<File> m_tx, m_rx;
};

} // namespace netdext::daemon
