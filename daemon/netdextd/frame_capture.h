// FrameCapture: optional pcap files of what crosses the driver boundary — the frames netdextd
// hands to the driver on TX submission and the frames the driver completes on RX completion —
// so a capture on en<N> can be cross-checked against what the driver actually saw.
// Off unless netdextd runs with --capture DIR. Owned by the interface's slot (one pair of files per
// interface, across driver versions); written by the frame movers of the moment (one per queue
// set: a mutex keeps the files whole).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>

namespace netdext::daemon {

class FrameCapture {
public:
    // Creates DIR/<ifname>-tx-submission.pcap and DIR/<ifname>-rx-completion.pcap (or the next
    // free "<name>.<n>.pcap": files are never opened through symlinks nor overwritten).
    static std::unique_ptr<FrameCapture> open(const std::string &dir, const std::string &ifname,
                                              std::string &error);
    // DIR must be a directory of netdextd's user, not writable by group or others.
    static bool check_directory(const std::string &dir, std::string &error);
    ~FrameCapture();
    void tx_submitted(std::span<const std::byte> frame);
    void rx_completed(std::span<const std::byte> frame);
    void flush();

    struct File; // one pcap file (frame_capture.cpp)

private:
    FrameCapture() = default;
    std::mutex m_mutex;
    std::unique_ptr<File> m_tx, m_rx;
};

} // namespace netdext::daemon
