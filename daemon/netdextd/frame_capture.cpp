// pcap files written with libpcap (Debian's libpcap: the reference writer of the format).

#include "frame_capture.h"

#include <pcap/pcap.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

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

// The file is created by us, never opened through a symlink or over an existing file
// (O_CREAT | O_EXCL | O_NOFOLLOW); netdextd checked at start that the directory is root's and
// not writable by others. An existing name gets the next free "<stem>.<n>.pcap".
static std::unique_ptr<FrameCapture::File> open_file(const std::string &dir,
                                                     const std::string &stem, std::string &error) {
    int fd = -1;
    std::string path;
    for (int n = 0; n < 100 && fd < 0; ++n) {
        path = dir + "/" + stem + (n == 0 ? "" : "." + std::to_string(n)) + ".pcap";
        fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        error = path + ": " + std::strerror(errno);
        return nullptr;
    }
    FILE *stream = fdopen(fd, "wb");
    if (stream == nullptr) {
        error = path + ": " + std::strerror(errno);
        ::close(fd);
        return nullptr;
    }
    auto file = std::make_unique<FrameCapture::File>();
    file->dead = pcap_open_dead(DLT_EN10MB, 65535);
    file->dumper = file->dead ? pcap_dump_fopen(file->dead, stream) : nullptr;
    if (file->dumper == nullptr) {
        error = path + ": " + (file->dead ? pcap_geterr(file->dead) : "pcap_open_dead failed");
        fclose(stream);
        return nullptr;
    }
    return file;
}

std::unique_ptr<FrameCapture> FrameCapture::open(const std::string &dir, const std::string &ifname,
                                                 std::string &error) {
    std::unique_ptr<FrameCapture> capture(new FrameCapture);
    capture->m_tx = open_file(dir, ifname + "-tx-submission", error);
    capture->m_rx = open_file(dir, ifname + "-rx-completion", error);
    if (!capture->m_tx || !capture->m_rx)
        return nullptr;
    return capture;
}

bool FrameCapture::check_directory(const std::string &dir, std::string &error) {
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        error = "--capture " + dir + ": not a directory";
        return false;
    }
    if (st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
        error = "--capture " + dir + ": must belong to uid " + std::to_string(geteuid()) +
                " and not be writable by group or others (netdextd writes files there)";
        return false;
    }
    return true;
}

FrameCapture::~FrameCapture() = default;

void FrameCapture::tx_submitted(std::span<const std::byte> frame) {
    std::lock_guard lock(m_mutex);
    m_tx->write(frame);
}
void FrameCapture::rx_completed(std::span<const std::byte> frame) {
    std::lock_guard lock(m_mutex);
    m_rx->write(frame);
}
void FrameCapture::flush() {
    std::lock_guard lock(m_mutex);
    pcap_dump_flush(m_tx->dumper);
    pcap_dump_flush(m_rx->dumper);
}

} // namespace netdext::daemon
