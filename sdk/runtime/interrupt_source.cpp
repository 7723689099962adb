// IOInterruptDispatchSource and the interrupt lines that test benches and simulated devices
// offer (netdext/interrupts.h).
//
// Delivery: each accepted interrupt posts one handler run carrying the running count and time.
// Runs are sequence-numbered; a run's gate lets it through only if no later interrupt was posted
// meanwhile, so interrupts that arrive before a pending run starts coalesce into the newest run
// (whose count includes them), and the handler always sees the latest count.

#include <DriverKit/IOInterruptDispatchSource.h>
#include <netdext/iig_support.h>
#include <netdext/interrupts.h>
#include <netdext/time_source.h>

#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "internal.h"

struct IOInterruptDispatchSource_IVars {
    std::mutex mutex;
    OSAction *action = nullptr; // retained until replaced, Cancel, or free
    uint64_t provider_id = 0;
    uint32_t index = 0;
    bool continuous_time = false;
    bool registered = false; // in the line registry
    uint64_t count = 0;      // interrupts taken since creation
    uint64_t time = 0;       // of the latest one
    uint64_t delivery = 0;   // sequence number of the newest posted handler run
};

NETDEXT_DEFINE_CLASS(IOInterruptDispatchSource, IODispatchSource, nullptr, 0)

namespace {

struct Offer {
    std::vector<uint64_t> types; // of each line
};

// Which providers offer interrupts, and which live sources listen to which line. Sources are not
// retained: each removes itself in free(), and raise_interrupt only uses those it can retain.
struct LineRegistry {
    std::mutex mutex;
    std::map<uint64_t, Offer> offers; // by provider registry ID
    std::multimap<std::pair<uint64_t, uint32_t>, IOInterruptDispatchSource *> sources;
};

LineRegistry &registry() {
    static LineRegistry *instance = new LineRegistry; // never destroyed: used until exit
    return *instance;
}

uint64_t registry_id(IOService *provider) {
    uint64_t id = 0;
    if (provider == nullptr || provider->GetRegistryEntryID(&id) != kIOReturnSuccess)
        return 0;
    return id;
}

// The offer for `line` of the provider with registry ID `id`, if there is one.
bool find_line(uint64_t id, uint32_t line, Offer &out) {
    LineRegistry &lines = registry();
    std::lock_guard lock(lines.mutex);
    auto it = lines.offers.find(id);
    if (id == 0 || it == lines.offers.end() || line >= it->second.types.size())
        return false;
    out = it->second;
    return true;
}

} // namespace

// ---- netdext/interrupts.h --------------------------------------------------------------------

void netdext::offer_interrupts(IOService *provider, uint32_t count, uint64_t type) {
    std::vector<uint64_t> types(count, type);
    offer_interrupt_types(provider, types.data(), count);
}

void netdext::offer_interrupt_types(IOService *provider, const uint64_t *types, uint32_t count) {
    uint64_t id = registry_id(provider);
    if (id == 0)
        return;
    LineRegistry &lines = registry();
    std::lock_guard lock(lines.mutex);
    if (count == 0)
        lines.offers.erase(id);
    else
        lines.offers[id] = Offer{std::vector<uint64_t>(types, types + count)};
}

uint32_t netdext::offered_interrupts(IOService *provider) {
    uint64_t id = registry_id(provider);
    LineRegistry &lines = registry();
    std::lock_guard lock(lines.mutex);
    auto it = lines.offers.find(id);
    return it == lines.offers.end() ? 0 : uint32_t(it->second.types.size());
}

size_t netdext::raise_interrupt(IOService *provider, uint32_t index, uint64_t count) {
    uint64_t id = registry_id(provider);
    std::vector<IOInterruptDispatchSource *> targets;
    {
        LineRegistry &lines = registry();
        std::lock_guard lock(lines.mutex);
        auto [begin, end] = lines.sources.equal_range({id, index & kIOInterruptSourceIndexMask});
        for (auto it = begin; it != end; ++it)
            if (it->second->netdext_try_retain()) // skip a source that is being freed
                targets.push_back(it->second);
    }
    size_t taken = 0;
    for (IOInterruptDispatchSource *source : targets) {
        if (source->netdext_trigger(count))
            ++taken;
        source->release();
    }
    return taken;
}

// ---- IOInterruptDispatchSource ---------------------------------------------------------------

kern_return_t IOInterruptDispatchSource::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    return IODispatchSource::_Dispatch(object, rpc);
}

kern_return_t IOInterruptDispatchSource::GetInterruptType(IOService *provider, uint32_t index,
                                                          uint64_t *interruptType) {
    if (provider == nullptr || interruptType == nullptr)
        return kIOReturnBadArgument;
    Offer offer;
    if (!find_line(registry_id(provider), index & kIOInterruptSourceIndexMask, offer))
        return kIOReturnNoInterrupt;
    *interruptType = offer.types[index & kIOInterruptSourceIndexMask];
    return kIOReturnSuccess;
}

kern_return_t IOInterruptDispatchSource::Create(IOService *provider, uint32_t index,
                                                IODispatchQueue *queue,
                                                IOInterruptDispatchSource **source) {
    if (provider == nullptr || queue == nullptr || source == nullptr)
        return kIOReturnBadArgument;
    *source = nullptr;
    uint64_t id = registry_id(provider);
    uint32_t line = index & kIOInterruptSourceIndexMask;
    Offer offer;
    if (!find_line(id, line, offer))
        return kIOReturnNoInterrupt;
    auto *created = netdext::new_object<IOInterruptDispatchSource>();
    if (created == nullptr)
        return kIOReturnNoMemory;
    kern_return_t kr = created->netdext_set_queue(queue);
    if (kr != kIOReturnSuccess) {
        created->release();
        return kr;
    }
    // DriverKit: an interrupt source starts disabled; the driver calls SetEnable(true).
    created->netdext_set_enable(false, nullptr);
    created->ivars->provider_id = id;
    created->ivars->index = line;
    created->ivars->continuous_time = (index & kIOInterruptSourceContinuousTime) != 0;
    {
        LineRegistry &lines = registry();
        std::lock_guard lock(lines.mutex);
        lines.sources.emplace(std::make_pair(id, line), created);
        created->ivars->registered = true;
    }
    *source = created;
    return kIOReturnSuccess;
}

bool IOInterruptDispatchSource::init() {
    if (!IODispatchSource::init())
        return false;
    ivars = new IOInterruptDispatchSource_IVars;
    return true;
}

void IOInterruptDispatchSource::free() {
    if (ivars != nullptr) {
        if (ivars->registered) {
            LineRegistry &lines = registry();
            std::lock_guard lock(lines.mutex);
            auto [begin, end] = lines.sources.equal_range({ivars->provider_id, ivars->index});
            for (auto it = begin; it != end; ++it) {
                if (it->second == this) {
                    lines.sources.erase(it);
                    break;
                }
            }
        }
        OSSafeReleaseNULL(ivars->action);
        delete ivars;
        ivars = nullptr;
    }
    IODispatchSource::free();
}

kern_return_t IOInterruptDispatchSource::SetHandler(OSAction *action) {
    netdext::replace_retained(ivars->mutex, ivars->action, action);
    return kIOReturnSuccess;
}

kern_return_t
IOInterruptDispatchSource::SetEnableWithCompletion(bool enable,
                                                   IODispatchSourceCancelHandler handler) {
    return netdext_set_enable(enable, std::move(handler));
}

kern_return_t IOInterruptDispatchSource::Cancel(IODispatchSourceCancelHandler handler) {
    // A cancelled source can only be released: drop the action now, which also breaks the
    // driver -> source -> action -> driver cycle. Runs already posted hold their own reference.
    OSAction *action;
    {
        std::lock_guard lock(ivars->mutex);
        action = ivars->action;
        ivars->action = nullptr;
    }
    kern_return_t kr = netdext_cancel(std::move(handler));
    if (action != nullptr)
        action->release();
    return kr;
}

kern_return_t IOInterruptDispatchSource::CheckForWork(bool) {
    return kIOReturnSuccess;
}

kern_return_t IOInterruptDispatchSource::GetLastInterrupt(uint64_t *pCount, uint64_t *pTime) {
    if (pCount == nullptr && pTime == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    if (pCount != nullptr)
        *pCount = ivars->count;
    if (pTime != nullptr)
        *pTime = ivars->time;
    return kIOReturnSuccess;
}

uint64_t IOInterruptDispatchSource::netdext_provider_id() const {
    return ivars->provider_id;
}
uint32_t IOInterruptDispatchSource::netdext_index() const {
    return ivars->index;
}

bool IOInterruptDispatchSource::netdext_trigger(uint64_t count) {
    if (count == 0)
        return false;
    HandlerTicket ticket;
    if (!netdext_begin_handler(ticket))
        return false; // disabled or cancelled: the interrupt is not taken
    netdext::ClockDomain domain =
        ivars->continuous_time ? netdext::ClockDomain::monotonic : netdext::ClockDomain::uptime;
    uint64_t now = netdext::time_source().now_ns(domain); // mach ticks are nanoseconds here
    OSAction *action;
    uint64_t delivery, total, time;
    {
        std::lock_guard lock(ivars->mutex);
        ivars->count += count;
        ivars->time = now;
        action = ivars->action;
        if (action != nullptr)
            action->retain();
        delivery = ++ivars->delivery;
        total = ivars->count;
        time = ivars->time;
    }
    if (action == nullptr) {
        ticket.done(); // counted (GetLastInterrupt sees it); there is no handler to run
        return true;
    }
    IOInterruptDispatchSource *self = this; // kept alive by the ticket until done()
    auto gate = ticket.gate;
    action->netdext_send(
        [self, gate, delivery] {
            {
                std::lock_guard lock(self->ivars->mutex);
                if (self->ivars->delivery != delivery)
                    return false; // a newer run carries this interrupt's count
            }
            return gate();
        },
        ticket.done, total, time);
    action->release();
    return true;
}
