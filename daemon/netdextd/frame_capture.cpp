// pcap files written with libpcap (Debian's libpcap: the reference writer of the format).

#include "frame_capture.h"

#include <pcap/pcap.h>
#include <time.h>

namespace netdext::daemon {

struct FrameCapture::File {
    pcap_t *dead = nullptr;
    pcap_dumper_t *dumper = nullptr;
    ~File() {
        if (dumper)
            pcap_dump_close(dumper);
        if (dead)
            pcap_close(dead);
    }
    void write(std::span<const std::byte> frame) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        struct pcap_pkthdr header {};
        header.ts.tv_sec = now.tv_sec;
        header.ts.tv_usec = now.tv_nsec / 1000;
        header.caplen = header.len = uint32_t(frame.size());
        pcap_dump(reinterpret_cast<u_char *>(dumper), &header,
                  reinterpret_cast<const u_char *>(frame.data()));
    }
};

static std::unique_ptr<FrameCapture::File> open_file(const std::string &path, std::string &error) {
    auto file = std::make_unique<FrameCapture::File>();
    file->dead = pcap_open_dead(DLT_EN10MB, 65535);
    file->dumper = file->dead ? pcap_dump_open(file->dead, path.c_str()) : nullptr;
    if (file->dumper == nullptr) {
        error = path + ": " + (file->dead ? pcap_geterr(file->dead) : "pcap_open_dead failed");
        return nullptr;
    }
    return file;
}

std::unique_ptr<FrameCapture> FrameCapture::open(const std::string &dir, const std::string &ifname,
                                                 std::string &error) {
    std::unique_ptr<FrameCapture> capture(new FrameCapture);
    capture->m_tx = open_file(dir + "/" + ifname + "-tx-submission.pcap", error);
    capture->m_rx = open_file(dir + "/" + ifname + "-rx-completion.pcap", error);
    if (!capture->m_tx || !capture->m_rx)
        return nullptr;
    return capture;
}

FrameCapture::~FrameCapture() = default;

void FrameCapture::tx_submitted(std::span<const std::byte> frame) { m_tx->write(frame); }
void FrameCapture::rx_completed(std::span<const std::byte> frame) { m_rx->write(frame); }
void FrameCapture::flush() {
    pcap_dump_flush(m_tx->dumper);
    pcap_dump_flush(m_rx->dumper);
}

} // namespace netdext::daemon
