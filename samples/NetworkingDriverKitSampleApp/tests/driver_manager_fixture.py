"""What the Driver Manager's end-to-end tests share: a real netdextd in a network namespace made
for the test, its applications directory, copies of the built app in it, and the app's window or
command line run as nobody (netdextd's admin group is nogroup here, so the app needs no root).
Everything is removed by cleanup(), also after a failure. Needs root."""
import os
import plistlib
import shutil
import signal
import subprocess
import tempfile
import time

DEXT_ID = "com.example.netdext.NetworkingDriverKitSample"
APP_NAME = "NetworkingDriverKitSampleApp"
NOBODY = 65534
DEADLINE = 20  # seconds for any one thing to happen


def wait_until(condition, what, deadline=DEADLINE):
    """Polls `condition` until it holds; fails naming `what` at the deadline."""
    until = time.monotonic() + deadline
    pause = 0.02
    while True:
        if condition():
            return
        if time.monotonic() > until:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(pause)  # polling interval, not a wait for an effect
        pause = min(pause * 2, 0.2)


class DriverManagerFixture:
    def __init__(self, build, out):
        if os.geteuid() != 0:
            raise SystemExit("needs root (a network namespace, netdextd)")
        self.build = os.path.realpath(build)
        self.out = os.path.realpath(out)
        shutil.rmtree(self.out, ignore_errors=True)
        os.makedirs(self.out)
        self.work = tempfile.mkdtemp(prefix="netdext-driver-manager.")
        os.chmod(self.work, 0o755)
        self.ns = "ndxapp%d" % os.getpid()
        self.socket = os.path.join(self.work, "netdextd.sock")
        self.applications = os.path.join(self.work, "Applications")
        self.processes = []
        self.daemon = None

    def path(self, relative):
        return os.path.join(self.build, relative)

    @property
    def built_app(self):
        """The app in its build directory: outside the applications directory."""
        return self.path("samples/%s/%s.app" % (APP_NAME, APP_NAME))

    def ctl(self, *args, check=True):
        return subprocess.run([self.path("cli/netdextctl/netdextctl"), "--socket", self.socket, *args],
                              capture_output=True, text=True, check=check, timeout=DEADLINE)

    def has_interface(self, name="en0"):
        return subprocess.run(["ip", "-n", self.ns, "link", "show", name],
                              capture_output=True).returncode == 0

    def start_daemon(self):
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"], check=True)
        os.mkdir(self.applications, 0o755)
        config = os.path.join(self.work, "netdextd.conf")
        open(config, "w").close()
        log = open(os.path.join(self.out, "netdextd.log"), "w")
        self.daemon = subprocess.Popen(
            ["nsenter", "--net=/run/netns/" + self.ns, self.path("daemon/netdextd/netdextd"),
             "--state-dir", os.path.join(self.work, "state"), "--socket", self.socket,
             "--host", self.path("host/netdext-host"), "--config", config, "--log", "stderr",
             "--applications-dir", self.applications, "--admin-group", "nogroup",
             "--cgroup", "netdext-test-" + self.ns],
            stdout=log, stderr=subprocess.STDOUT)
        wait_until(lambda: self.ctl("version", check=False).returncode == 0, "netdextd to answer")
        # Once netdextd verifies signatures, the sample's throwaway signing key must be trusted.
        if "trust" in self.ctl("--help", check=False).stdout:
            self.ctl("trust", "add", self.path("samples/NetworkingDriverKitSample/throwaway.identity.pub"))

    def install_app(self, name, dext_version=None, entitled=True):
        """Copies the built app into the applications directory as NAME.app; with `dext_version`
        its dext says that CFBundleVersion (signed again, as a new build would be); without
        `entitled` it lacks the system-extension.install entitlement."""
        app = os.path.join(self.applications, name + ".app")
        shutil.copytree(self.built_app, app, symlinks=True)
        if dext_version:
            dext = os.path.join(app, "Contents/Library/SystemExtensions", DEXT_ID + ".dext")
            with open(os.path.join(dext, "Info.plist"), "rb") as f:
                info = plistlib.load(f)
            info["CFBundleVersion"] = dext_version
            with open(os.path.join(dext, "Info.plist"), "wb") as f:
                plistlib.dump(info, f)
            if os.path.exists(os.path.join(dext, "_CodeSignature")):
                identity = self.path("samples/NetworkingDriverKitSample/throwaway.identity")
                subprocess.run([self.path("codesign/netdext-codesign"), "-s", identity, "--force", dext],
                               check=True, capture_output=True)
        if not entitled:
            os.remove(os.path.join(app, "Contents/Entitlements.plist"))
        return app

    def executable(self, app):
        return os.path.join(app, "Contents/MacOS", APP_NAME)

    def start_window(self, app, label):
        """Runs the app's window as nobody; returns its URL."""
        log = open(os.path.join(self.out, label + ".log"), "w")
        process = subprocess.Popen([self.executable(app), "--socket", self.socket, "--port", "0"],
                                   stdout=subprocess.PIPE, stderr=log, text=True,
                                   user=NOBODY, group=NOBODY, extra_groups=[])
        self.processes.append(process)
        line = process.stdout.readline()  # "Driver Manager: http://127.0.0.1:PORT/"
        if not line.startswith("Driver Manager: http://127.0.0.1:"):
            raise AssertionError("%s did not start its window: %r" % (label, line))
        return line.split(": ", 1)[1].strip()

    def start_command(self, app, *args, socket=None):
        """The app's command line, as nobody, in the background (against netdextd's socket, or
        `socket`)."""
        process = subprocess.Popen([self.executable(app), "--socket", socket or self.socket, *args],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   user=NOBODY, group=NOBODY, extra_groups=[])
        self.processes.append(process)
        return process

    def command(self, app, *args, socket=None):
        """The app's command line, as nobody; (exit status, stdout, stderr)."""
        process = self.start_command(app, *args, socket=socket)
        out, err = process.communicate(timeout=60)
        return process.returncode, out, err

    def cleanup(self):
        for process in self.processes + ([self.daemon] if self.daemon else []):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        shutil.rmtree(self.work, ignore_errors=True)
