// cgroup v2 (see cgroup.h).

#include "cgroup.h"

#include <netdext/file_io.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <sstream>

namespace netdext::sandbox {

namespace {

constexpr const char *kWantedControllers[] = {"cpu", "memory", "pids"};

bool write_text(const std::string &path, const std::string &text) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.is_valid())
        return false;
    return ::write(fd.get(), text.data(), text.size()) == ssize_t(text.size());
}

std::vector<std::string> words(const std::string &text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    for (std::string word; in >> word;)
        out.push_back(word);
    return out;
}

std::vector<std::string> read_words(const std::string &path) {
    std::string text;
    return read_file(path, text) ? words(text) : std::vector<std::string>{};
}

bool contains(const std::vector<std::string> &list, const std::string &word) {
    return std::find(list.begin(), list.end(), word) != list.end();
}

// "populated 0" in cgroup.events: no process left in it or below.
bool populated(const std::string &dir) {
    std::string text;
    if (!read_file(dir + "/cgroup.events", text))
        return false;
    return text.find("populated 1") != std::string::npos;
}

// Waits (bounded) for a killed cgroup to empty, woken by cgroup.events notifications.
void wait_empty(const std::string &dir, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    UniqueFd events(::open((dir + "/cgroup.events").c_str(), O_RDONLY | O_CLOEXEC));
    while (populated(dir) && std::chrono::steady_clock::now() < deadline) {
        struct pollfd pfd{events.get(), POLLPRI, 0};
        poll(&pfd, events.is_valid() ? 1 : 0, 10);
    }
}

std::string own_cgroup() {
    std::string text;
    if (!read_file("/proc/self/cgroup", text))
        return {};
    std::stringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("0::", 0) == 0)
            return line.substr(3);
    return {};
}

} // namespace

std::string cgroup_name(const std::string &bundle_id) {
    std::string name = bundle_id.empty() ? std::string("unnamed") : bundle_id;
    for (char &c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_')
            c = '_';
    if (name[0] == '.')
        name[0] = '_';
    return name.substr(0, 200);
}

std::string CgroupParent::find_mount() {
    std::string text;
    if (!read_file("/proc/self/mountinfo", text))
        return {};
    std::stringstream in(text);
    for (std::string line; std::getline(in, line);) {
        size_t dash = line.find(" - ");
        if (dash == std::string::npos)
            continue;
        std::vector<std::string> before = words(line.substr(0, dash));
        std::vector<std::string> after = words(line.substr(dash + 3));
        if (before.size() >= 5 && !after.empty() && after[0] == "cgroup2" && before[3] == "/")
            return before[4];
    }
    return {};
}

Result<std::shared_ptr<CgroupParent>> CgroupParent::open(const std::string &path,
                                                         const std::string &mount) {
    std::string root = mount.empty() ? find_mount() : mount;
    if (root.empty())
        return Error::from_code(ErrorCode::InvalidArgument, "no cgroup v2 mount");
    std::string relative;
    if (!path.empty() && path[0] == '/') {
        relative = path;
    } else {
        std::string own = mount.empty() ? own_cgroup() : std::string("/");
        if (own.empty())
            return Error::from_code(ErrorCode::InvalidArgument, "own cgroup unknown");
        relative = (own == "/" ? std::string() : own) + "/" + (path.empty() ? "netdext" : path);
    }
    if (relative.find("/../") != std::string::npos || relative.find("/..") == relative.size() - 3)
        return Error::from_code(ErrorCode::InvalidArgument, "cgroup path with ..");
    std::shared_ptr<CgroupParent> parent(new CgroupParent());
    parent->m_dir = root + relative;
    // Delegate what the level above has to give; failures only mean fewer controllers.
    std::string above = parent->m_dir.substr(0, parent->m_dir.rfind('/'));
    std::vector<std::string> available = read_words(above + "/cgroup.controllers");
    for (const char *name : kWantedControllers)
        if (contains(available, name))
            (void)write_text(above + "/cgroup.subtree_control", std::string("+") + name);
    if (::mkdir(parent->m_dir.c_str(), 0755) == 0)
        parent->m_created = true;
    else if (errno != EEXIST)
        return Error::from_errno("mkdir cgroup parent");
    available = read_words(parent->m_dir + "/cgroup.controllers");
    for (const char *name : kWantedControllers)
        if (contains(available, name))
            (void)write_text(parent->m_dir + "/cgroup.subtree_control", std::string("+") + name);
    std::vector<std::string> enabled = read_words(parent->m_dir + "/cgroup.subtree_control");
    for (const char *name : kWantedControllers)
        if (contains(enabled, name))
            parent->m_controllers.push_back(name);
    return parent;
}

CgroupParent::~CgroupParent() {
    if (m_created)
        ::rmdir(m_dir.c_str()); // fails, harmlessly, while an extension's cgroup remains
}

bool CgroupParent::has_controller(const std::string &name) const {
    return contains(m_controllers, name);
}

Result<std::unique_ptr<Cgroup>> CgroupParent::create(const std::string &name,
                                                     const SandboxLimits &limits) {
    std::string dir = m_dir + "/" + cgroup_name(name);
    if (::access(dir.c_str(), F_OK) == 0) { // left by a daemon that was killed: end it
        (void)write_text(dir + "/cgroup.kill", "1");
        wait_empty(dir, std::chrono::seconds(2));
        if (::rmdir(dir.c_str()) != 0)
            return Error::from_errno("rmdir stale cgroup");
    }
    if (::mkdir(dir.c_str(), 0755) != 0)
        return Error::from_errno("mkdir cgroup");
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    std::unique_ptr<Cgroup> cgroup(new Cgroup(dir, std::move(fd)));
    if (!cgroup->m_fd.is_valid())
        return Error::from_errno("open cgroup");
    auto set = [&](const char *file, const std::string &value) -> Result<void> {
        if (!write_text(dir + "/" + file, value))
            return Error::from_errno(file);
        return {};
    };
    if (has_controller("memory")) {
        NETDEXT_TRY(set("memory.max", std::to_string(limits.memory_bytes)));
        (void)set("memory.swap.max", "0"); // absent without swap accounting
    }
    if (has_controller("pids"))
        NETDEXT_TRY(set("pids.max", std::to_string(limits.max_tasks)));
    if (has_controller("cpu"))
        NETDEXT_TRY(set("cpu.weight", std::to_string(std::clamp(limits.cpu_weight, 1u, 10000u))));
    return cgroup;
}

Cgroup::~Cgroup() {
    if (m_removed)
        return;
    (void)kill();
    wait_empty(m_dir, std::chrono::seconds(2));
    (void)remove();
}

std::vector<pid_t> Cgroup::processes() const {
    std::vector<pid_t> pids;
    for (const std::string &word : read_words(m_dir + "/cgroup.procs"))
        pids.push_back(pid_t(std::atoi(word.c_str())));
    return pids;
}

Result<void> Cgroup::kill() {
    if (write_text(m_dir + "/cgroup.kill", "1"))
        return {};
    int saved = errno;
    if (::access((m_dir + "/cgroup.kill").c_str(), F_OK) == 0)
        return Error::from_errno(saved, "cgroup.kill");
    for (pid_t pid : processes()) // before Linux 5.14: one by one (a fork race remains)
        ::kill(pid, SIGKILL);
    return {};
}

Result<void> Cgroup::remove() {
    if (m_removed)
        return {};
    m_fd.reset();
    if (::rmdir(m_dir.c_str()) != 0 && errno != ENOENT)
        return Error::from_errno("rmdir cgroup");
    m_removed = true;
    return {};
}

} // namespace netdext::sandbox
