// Spawning and watching netdext-host (see host_process.h; the sandbox is daemon/sandbox/).

#include "host_process.h"

#include <launcher.h>

#include <netdext/protocol/host_protocol.h>

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

namespace netdext::daemon {

namespace {

int pidfd_send_signal(int pidfd, int sig) {
    return int(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

std::string absolute(const std::string &path) {
    std::error_code ec;
    std::filesystem::path full = std::filesystem::absolute(path, ec);
    return ec ? path : full.lexically_normal().string();
}

} // namespace

HostProcess::HostProcess(HostProcess &&other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)), m_pidfd(std::move(other.m_pidfd)),
      m_reaped(other.m_reaped), m_uid(std::move(other.m_uid)), m_uid_value(other.m_uid_value),
      m_cgroup(std::move(other.m_cgroup)), m_output(std::move(other.m_output)) {}

Result<HostProcess> HostProcess::spawn(const HostOptions &options, int control_fd) {
    const sandbox::SandboxSettings &settings = options.sandbox;
    HostProcess host;
    auto pipe = NETDEXT_TRY(sandbox::DriverOutput::create());
    host.m_output = std::make_unique<sandbox::DriverOutput>(std::move(pipe.first));
    UniqueFd output_write = std::move(pipe.second);

    sandbox::LaunchPlan plan;
    plan.executable = absolute(options.host_binary);
    if (!options.describe_device.empty()) // the device probe: no bundle, no driver
        plan.argv = {plan.executable, "--describe-device", options.describe_device};
    else
        plan.argv = {plan.executable, "--bundle", absolute(options.bundle_path)};
    if (options.wait_for_device)
        plan.argv.push_back("--wait-for-device");
    if (!options.class_name.empty())
        plan.argv.insert(plan.argv.end(), {"--class", options.class_name});
    if (!options.boot_args.empty())
        plan.argv.insert(plan.argv.end(), {"--boot-args", options.boot_args});
    if (options.registry_id_base != 0)
        plan.argv.insert(plan.argv.end(),
                         {"--registry-id-base", std::to_string(options.registry_id_base)});
    plan.env = sandbox::host_environment();
    plan.control_fd = control_fd;
    plan.output_fd = output_write.get();
    plan.sandbox = settings.enabled;
    plan.limits = settings.limits;

    std::optional<sandbox::FilesystemView> view;
    if (!settings.enabled)
        plan.argv.push_back("--no-seccomp");
    if (settings.enabled) {
        if (geteuid() != 0)
            return Error::from_code(ErrorCode::InvalidArgument,
                                    "the sandbox needs root (or netdextd --no-sandbox)");
        if (!settings.seccomp)
            plan.argv.push_back("--no-seccomp");
        else if (settings.seccomp_report)
            plan.argv.push_back("--seccomp-report");
        if (settings.limits.memory_bytes != 0 &&
            !(settings.cgroups && settings.cgroups->has_controller("memory")))
            plan.argv.insert(plan.argv.end(), {"--address-space-limit",
                                               std::to_string(settings.limits.memory_bytes)});
        if (!settings.uids)
            return Error::from_code(ErrorCode::InvalidArgument, "no uid range for the sandbox");
        host.m_uid = NETDEXT_TRY(settings.uids->lease(options.bundle_id));
        plan.uid = host.m_uid_value = host.m_uid.uid();
        plan.gid = host.m_uid.gid();
        sandbox::ViewRequest request;
        request.host_binary = plan.executable;
        request.bundle_path = options.bundle_path.empty() ? "" : absolute(options.bundle_path);
        request.executables = {plan.executable};
        if (!options.driver_executable.empty())
            request.executables.push_back(absolute(options.driver_executable));
        request.tmp_bytes = settings.limits.tmp_bytes;
        request.uid = plan.uid;
        request.gid = plan.gid;
        view.emplace(NETDEXT_TRY(sandbox::FilesystemView::plan(request)));
        plan.view = &*view;
        if (settings.cgroups) {
            auto cgroup = settings.cgroups->create(options.bundle_id, settings.limits);
            if (!cgroup)
                return cgroup.release_error();
            host.m_cgroup = cgroup.release_value();
            plan.cgroup_fd = host.m_cgroup->fd();
        }
    }
    auto launched = NETDEXT_TRY(sandbox::launch(plan));
    host.m_pid = launched.pid;
    host.m_pidfd = std::move(launched.pidfd);
    if (!launched.in_cgroup)
        host.m_cgroup.reset();
    return host;
}

HostProcess::~HostProcess() {
    if (m_pid > 0 && !m_reaped) {
        kill();
        waitpid(m_pid, nullptr, 0);
    }
    m_cgroup.reset(); // kills what is left in it, removes it
}

void HostProcess::kill() {
    if (m_pidfd.is_valid() && !m_reaped)
        pidfd_send_signal(m_pidfd.get(), SIGKILL);
    if (m_cgroup)
        (void)m_cgroup->kill();
}

bool HostProcess::try_reap(int &status) {
    if (m_pid <= 0 || m_reaped)
        return false;
    pid_t got = waitpid(m_pid, &status, WNOHANG);
    if (got == m_pid) {
        m_reaped = true;
    } else if (got < 0 && errno == ECHILD) { // reaped elsewhere (SIGCHLD ignored): status unknown
        m_reaped = true;
        status = 0;
    } else {
        return false;
    }
    m_cgroup.reset(); // the PID namespace ended with its PID 1; the cgroup kill is belt and braces
    m_uid = sandbox::UidLease();
    return true;
}

std::string HostProcess::default_host_binary() {
    std::error_code ec;
    std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        std::filesystem::path dir = self.parent_path();
        for (auto candidate : {dir / "netdext-host", dir.parent_path() / "host" / "netdext-host",
                               dir.parent_path().parent_path() / "host" / "netdext-host"}) {
            if (access(candidate.c_str(), X_OK) == 0)
                return candidate.string();
        }
    }
    return "netdext-host";
}

std::string describe_wait_status(int status) {
    if (WIFEXITED(status))
        return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const char *name = strsignal(WTERMSIG(status));
        std::string text = "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
                           (name ? name : "?") + ")";
        if (WTERMSIG(status) == SIGSYS)
            text += ": a system call outside the sandbox's seccomp allow-list";
        return text;
    }
    return "status " + std::to_string(status);
}

} // namespace netdext::daemon
