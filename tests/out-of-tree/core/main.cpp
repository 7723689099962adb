// Uses the umbrella headers and a timer from an installed NetDext: a service whose
// TYPE(IOTimerDispatchSource::TimerOccurred)-style method runs three times on its queue, and a
// property dictionary set and read back through IOService.
#include <DriverKit/DriverKit.h>
#include <DriverKit/IODispatchQueue.h>
#include <DriverKit/IOTimerDispatchSource.h>
#include <NetworkingDriverKit/NetworkingDriverKit.h>
#include <netdext/iig_support.h>
#include <netdext/runtime.h>

#include <atomic>
#include <cstdio>

#define Ticker_Tick_ID 0x7469636b00000001ULL

class Ticker : public IOService {
public:
    NETDEXT_CLASS_MEMBERS(Ticker, IOService)
    std::atomic<int> ticks{0};
    IOTimerDispatchSource *timer = nullptr;
    bool on_queue = true;

protected:
    void Tick_Impl(OSAction *action, uint64_t time) {
        IODispatchQueue *queue = nullptr;
        CopyDispatchQueue("Default", &queue);
        on_queue = on_queue && queue->OnQueue();
        OSSafeReleaseNULL(queue);
        if (++ticks < 3)
            timer->WakeAtTime(kIOTimerClockUptimeRaw, time + 2 * kMillisecondScale, 0);
    }
};
extern OSMetaClass *gTickerMetaClass;
NETDEXT_DEFINE_CLASS(Ticker, IOService, nullptr, 0)

kern_return_t Ticker::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    Ticker *self = static_cast<Ticker *>(object);
    if (rpc.message->msgid == Ticker_Tick_ID &&
        netdext::dispatch_to(rpc, [self](OSAction *action, uint64_t time) {
            self->Ticker::Tick_Impl(action, time);
        }))
        return kIOReturnSuccess;
    return IOService::_Dispatch(object, rpc);
}

int main() {
    OSObject *object = OSMetaClass::find("Ticker")->alloc();
    Ticker *ticker = OSDynamicCast(Ticker, object);
    if (ticker == nullptr || !ticker->init())
        return 1;
    IODispatchQueue *queue = nullptr;
    OSAction *action = nullptr;
    if (ticker->CopyDispatchQueue("Default", &queue) != kIOReturnSuccess ||
        IOTimerDispatchSource::Create(queue, &ticker->timer) != kIOReturnSuccess ||
        OSAction::Create(ticker, Ticker_Tick_ID, IOTimerDispatchSource_TimerOccurred_ID, 0,
                         &action) != kIOReturnSuccess ||
        ticker->timer->SetHandler(action) != kIOReturnSuccess)
        return 2;
    ticker->timer->WakeAtTime(kIOTimerClockUptimeRaw,
                              clock_gettime_nsec_np(CLOCK_UPTIME_RAW) + kMillisecondScale, 0);
    uint64_t deadline = clock_gettime_nsec_np(CLOCK_UPTIME_RAW) + 10ULL * kSecondScale;
    while (ticker->ticks.load() < 3 && clock_gettime_nsec_np(CLOCK_UPTIME_RAW) < deadline)
        queue->DispatchSync([] {}); // wait on the queue itself, not a sleep
    int ticks = ticker->ticks.load();

    OSDictionary *set = OSDictionary::withCapacity(1);
    OSString *value = OSString::withCString("out-of-tree");
    OSDictionary *got = nullptr;
    bool properties = set != nullptr && value != nullptr && set->setObject("NetDextTest", value) &&
                      ticker->SetProperties(set) == kIOReturnSuccess &&
                      ticker->CopyProperties(&got) == kIOReturnSuccess && got != nullptr;
    // As in DriverKit, what a dext sets lands in its IOUserServiceProperties sub-dictionary.
    OSDictionary *user =
        properties ? OSDynamicCast(OSDictionary, got->getObject(kIOUserServicePropertiesKey))
                   : nullptr;
    properties = user != nullptr &&
                 value->isEqualTo(OSDynamicCast(OSString, user->getObject("NetDextTest")));
    OSSafeReleaseNULL(got);
    OSSafeReleaseNULL(value);
    OSSafeReleaseNULL(set);

    bool on_queue = ticker->on_queue;
    ticker->timer->Cancel(nullptr);
    netdext::wait_until_idle();
    OSSafeReleaseNULL(ticker->timer);
    OSSafeReleaseNULL(action);
    OSSafeReleaseNULL(queue);
    ticker->release();
    std::printf("out-of-tree core consumer: %d timer ticks, on queue: %s, properties: %s\n",
                ticks, on_queue ? "yes" : "no", properties ? "yes" : "no");
    return ticks == 3 && on_queue && properties ? 0 : 3;
}
