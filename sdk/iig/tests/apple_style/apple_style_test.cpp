/*
 * The Apple-style sample, built by netdext_add_dext into AppleStyleDriver.dext: the bundle has
 * the substituted Info.plist, and the driver loads with dlopen, is created by class name, starts
 * on its Default queue and runs its TYPE timer callback under the virtual clock.
 */
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <DriverKit/IODispatchQueue.h>
#include <DriverKit/IOService.h>
#include <netdext/runtime.h>
#include <netdext/virtual_clock.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const fs::path kBundle = APPLE_STYLE_DEXT;

std::string read_file(const fs::path &path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/* Collects the driver's os_log lines. */
class LogCapture {
public:
    LogCapture() {
        netdext::set_log_sink([this](const netdext::LogRecord &record) {
            std::lock_guard lock(m_mutex);
            m_lines.emplace_back(record.message);
        });
    }
    ~LogCapture() { netdext::set_log_sink(nullptr); }
    size_t count(const std::string &needle) {
        std::lock_guard lock(m_mutex);
        return static_cast<size_t>(
            std::count_if(m_lines.begin(), m_lines.end(), [&needle](const std::string &line) {
                return line.find(needle) != std::string::npos;
            }));
    }
    std::string all() {
        std::lock_guard lock(m_mutex);
        std::string out;
        for (const std::string &line : m_lines)
            out += line + "\n";
        return out;
    }

private:
    std::mutex m_mutex;
    std::vector<std::string> m_lines;
};

IOService *create_service(const char *name) {
    const OSMetaClass *meta = OSMetaClass::find(name);
    if (meta == nullptr)
        return nullptr;
    OSObject *object = meta->alloc();
    IOService *service = OSDynamicCast(IOService, object);
    if (service == nullptr || !service->init()) {
        OSSafeReleaseNULL(object);
        return nullptr;
    }
    return service;
}

/* Runs `fn` on the service's Default queue, as the system runs lifecycle methods. */
template <class F> void on_default_queue(IOService *service, F fn) {
    IODispatchQueue *queue = nullptr;
    ASSERT_EQ(service->CopyDispatchQueue(kIOServiceDefaultQueueName, &queue), kIOReturnSuccess);
    queue->DispatchSync(fn);
    queue->release();
}

TEST(AppleStyleDext, BundleLayoutAndSubstitutedInfoPlist) {
    ASSERT_TRUE(fs::is_directory(kBundle)) << kBundle;
    EXPECT_TRUE(fs::is_regular_file(kBundle / "AppleStyleDriver"));
    EXPECT_TRUE(fs::is_regular_file(kBundle / "Entitlements.plist"));
    std::string info = read_file(kBundle / "Info.plist");
    EXPECT_EQ(info.find("$("), std::string::npos) << info;
    for (const char *expected :
         {"<string>org.netdext.test.AppleStyleDriver</string>", "<string>AppleStyleDriver</string>",
          "<string>DEXT</string>", "<string>en</string>", "<string>1.2</string>",
          "<string>7</string>", "AppleStyleDriver is an Apple-style test driver &amp; sample"})
        EXPECT_NE(info.find(expected), std::string::npos) << expected << "\n" << info;
    EXPECT_NE(read_file(kBundle / "Entitlements.plist").find("com.apple.developer.driverkit"),
              std::string::npos);
}

TEST(AppleStyleDext, LoadsByNameStartsAndRunsItsTimer) {
    uint64_t live_objects = netdext::runtime_stats().live_objects.load();
    LogCapture logs;
    netdext::VirtualClock clock;
    clock.install();

    void *image = dlopen((kBundle / "AppleStyleDriver").c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(image, nullptr) << dlerror();
    IOService *provider = create_service("IOService");
    ASSERT_NE(provider, nullptr);
    IOService *driver = create_service("AppleStyleDriver");
    ASSERT_NE(driver, nullptr);
    EXPECT_STREQ(driver->GetClassName(), "AppleStyleDriver");

    kern_return_t started = kIOReturnError;
    on_default_queue(driver, [&] { started = driver->Start(provider); });
    ASSERT_EQ(started, kIOReturnSuccess) << logs.all();
    EXPECT_TRUE(driver->netdext_started()); // Start(provider, SUPERDISPATCH) reached IOService
    EXPECT_TRUE(driver->netdext_registered());
    EXPECT_EQ(logs.count("AppleStyleDriver: started"), 1u);

    // The timer fires every second, re-armed from its own handler.
    EXPECT_EQ(clock.advance(999ms), 0u);
    EXPECT_EQ(logs.count("timer fired"), 0u);
    EXPECT_EQ(clock.advance(2500ms), 3u);
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(logs.count("timer fired"), 3u) << logs.all();
    EXPECT_EQ(logs.count("(3)"), 1u) << logs.all();

    // IMPL(AppleStyleDriver, SetPowerState) sees `powerstate` and passes it to IOService.
    kern_return_t powered = kIOReturnError;
    on_default_queue(driver,
                     [&] { powered = driver->SetPowerState(kIOServicePowerCapabilityLow); });
    EXPECT_EQ(powered, kIOReturnSuccess);
    EXPECT_EQ(logs.count("SetPowerState 0x10000"), 1u) << logs.all();
    EXPECT_EQ(driver->netdext_power_state(), uint32_t(kIOServicePowerCapabilityLow));

    // Stop cancels the timer; the cancel handler (a block under Clang) finishes the Stop.
    kern_return_t stopped = kIOReturnError;
    on_default_queue(driver, [&] { stopped = driver->Stop(provider); });
    EXPECT_EQ(stopped, kIOReturnSuccess);
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(logs.count("timer cancelled after 3 firings"), 1u) << logs.all();
    EXPECT_FALSE(driver->netdext_started());
    clock.advance(10s);
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(logs.count("timer fired"), 3u);

    driver->release();
    provider->release();
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(netdext::runtime_stats().live_objects.load(), live_objects); // nothing leaked
    // The image stays loaded: the process may still hold objects whose code lives in it.
}

} // namespace
