// OSMetaClassBase, OSMetaClass (class registry) and OSObject: reference counting, casting,
// allocation and per-object dispatch-queue bindings.

#include <DriverKit/IODispatchQueue.h>
#include <DriverKit/OSObject.h>
#include <netdext/iig_support.h>
#include <netdext/runtime.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "internal.h"

// ---- OSMetaClass --------------------------------------------------------------------------

namespace {

struct ClassRegistry {
    std::mutex mutex;
    std::multimap<std::string, const OSMetaClass *> classes;
};

// Deliberately leaked: driver images unregister their classes from static destructors that may
// run after this library's own statics are gone.
ClassRegistry &class_registry() {
    static ClassRegistry *registry = new ClassRegistry;
    return *registry;
}

} // namespace

OSObject *OSMetaClass::alloc() const { return m_factory ? m_factory() : nullptr; }

std::vector<std::string> netdext::registered_class_names() {
    ClassRegistry &registry = class_registry();
    std::lock_guard lock(registry.mutex);
    std::vector<std::string> names;
    for (const auto &[name, meta] : registry.classes)
        if (names.empty() || names.back() != name)
            names.push_back(name);
    return names;
}

const char *OSMetaClass::queueNameForMethod(uint64_t methodID) const {
    for (const OSMetaClass *meta = this; meta != nullptr; meta = meta->getSuperClass()) {
        for (uint32_t i = 0; i < meta->m_queueNameCount; ++i) {
            if (meta->m_queueNames[i].methodID == methodID)
                return meta->m_queueNames[i].queueName;
        }
    }
    return kIOServiceDefaultQueueName;
}

const OSMetaClass *OSMetaClass::find(const char *className) {
    if (className == nullptr)
        return nullptr;
    ClassRegistry &registry = class_registry();
    std::lock_guard lock(registry.mutex);
    auto range = registry.classes.equal_range(className);
    const OSMetaClass *found = nullptr;
    for (auto it = range.first; it != range.second; ++it)
        found = it->second; // the most recently loaded image wins
    return found;
}

void OSMetaClass::registerClass(const OSMetaClass *meta) {
    ClassRegistry &registry = class_registry();
    std::lock_guard lock(registry.mutex);
    registry.classes.emplace(meta->getClassName(), meta);
}

void OSMetaClass::unregisterClass(const OSMetaClass *meta) {
    ClassRegistry &registry = class_registry();
    std::lock_guard lock(registry.mutex);
    auto range = registry.classes.equal_range(meta->getClassName());
    for (auto it = range.first; it != range.second; ++it) {
        if (it->second == meta) {
            registry.classes.erase(it);
            return;
        }
    }
}

// ---- OSMetaClassBase ----------------------------------------------------------------------

static OSMetaClass sOSMetaClassBaseMetaClass("OSMetaClassBase", nullptr, nullptr, nullptr, 0,
                                             sizeof(OSMetaClassBase));
OSMetaClass *gOSMetaClassBaseMetaClass = &sOSMetaClassBaseMetaClass;

OSMetaClassBase::~OSMetaClassBase() = default;

const OSMetaClass *OSMetaClassBase::getMetaClass() const { return gOSMetaClassBaseMetaClass; }

void OSMetaClassBase::retain() const {
    int32_t previous = refcount.fetch_add(1, std::memory_order_relaxed);
    if (previous <= 0)
        netdext::fatal("retain() of %s %p whose reference count is %d (already freed?)",
                       GetClassName(), static_cast<const void *>(this), previous);
}

void OSMetaClassBase::release() const {
    int32_t previous = refcount.fetch_sub(1, std::memory_order_acq_rel);
    if (previous == 1)
        netdext_finalize();
    else if (previous <= 0)
        netdext::fatal("release() of %s %p whose reference count is %d (over-released)",
                       GetClassName(), static_cast<const void *>(this), previous);
}

bool OSMetaClassBase::netdext_try_retain() const {
    int32_t current = refcount.load(std::memory_order_relaxed);
    while (current > 0) {
        if (refcount.compare_exchange_weak(current, current + 1, std::memory_order_acquire,
                                           std::memory_order_relaxed))
            return true;
    }
    return false;
}

void OSMetaClassBase::netdext_finalize() const { delete this; }

bool OSMetaClassBase::isEqualTo(const OSMetaClassBase *anObject) const { return this == anObject; }

kern_return_t OSMetaClassBase::Dispatch(const IORPC rpc) { return _Dispatch(this, rpc); }

kern_return_t OSMetaClassBase::_Dispatch(OSMetaClassBase *, const IORPC) {
    return kIOReturnBadMessageID;
}

kern_return_t OSMetaClassBase::Invoke(const IORPC rpc) { return Dispatch(rpc); }

const char *OSMetaClassBase::GetClassName() const { return getMetaClass()->getClassName(); }

OSMetaClassBase *OSMetaClassBase::safeMetaCast(const OSMetaClassBase *anObject,
                                               const OSMetaClass *toMeta) {
    if (anObject == nullptr || toMeta == nullptr)
        return nullptr;
    for (const OSMetaClass *meta = anObject->getMetaClass(); meta != nullptr;
         meta = meta->getSuperClass()) {
        if (meta == toMeta)
            return const_cast<OSMetaClassBase *>(anObject);
    }
    return nullptr;
}

// DriverKit objects start zero-filled (drivers rely on ivars being NULL before init()).
void *OSMetaClassBase::operator new(size_t size) {
    void *memory = std::calloc(1, size);
    if (memory == nullptr)
        netdext::fatal("out of memory allocating a %zu-byte object", size);
    netdext::runtime_stats().live_objects.fetch_add(1, std::memory_order_relaxed);
    return memory;
}

void OSMetaClassBase::operator delete(void *memory, size_t) {
    if (memory == nullptr)
        return;
    netdext::runtime_stats().live_objects.fetch_sub(1, std::memory_order_relaxed);
    std::free(memory);
}

OSMetaClassBase *netdext_required_cast(const OSMetaClassBase *inst, const OSMetaClass *meta,
                                       const char *typeName, const char *file, int line) {
    OSMetaClassBase *result = OSMetaClassBase::safeMetaCast(inst, meta);
    if (result == nullptr)
        netdext::fatal("%s:%d: OSRequiredCast(%s, %s) failed", file, line, typeName,
                       inst ? inst->GetClassName() : "NULL");
    return result;
}

OSObject *netdext_type_alloc(const OSMetaClass *meta) {
    return meta != nullptr ? meta->alloc() : nullptr;
}

kern_return_t OSObjectAllocate(OSMetaClass *meta, OSObject **object) {
    if (object == nullptr)
        return kIOReturnBadArgument;
    *object = netdext_type_alloc(meta);
    return *object != nullptr ? kIOReturnSuccess : kIOReturnUnsupported;
}

void netdext::report_unhandled_super(const OSMetaClassBase *self, uint64_t msgid,
                                     kern_return_t kr) {
    runtime_stats().unhandled_messages.fetch_add(1, std::memory_order_relaxed);
    log_linef(LogLevel::fault,
              "netdext: no implementation of method 0x%016llx in the chain of %s (0x%08x): "
              "a SUPERDISPATCH call to a method no base class implements",
              static_cast<unsigned long long>(msgid), self ? self->GetClassName() : "NULL",
              static_cast<unsigned>(kr));
}

kern_return_t netdext::report_unimplemented(const OSMetaClassBase *self, const char *cls,
                                            const char *method) {
    runtime_stats().unhandled_messages.fetch_add(1, std::memory_order_relaxed);
    log_linef(LogLevel::fault,
              "netdext: %s::%s is declared = 0 in its .iig and %s does not implement it: the call "
              "returns kIOReturnUnsupported",
              cls, method, self ? self->GetClassName() : "NULL");
    return kIOReturnUnsupported;
}

// ---- OSObject -----------------------------------------------------------------------------

struct OSObject_IVars {
    std::mutex mutex;
    std::vector<std::pair<std::string, IODispatchQueue *>> queues;
};

NETDEXT_DEFINE_CLASS(OSObject, OSMetaClassBase, nullptr, 0)

kern_return_t OSObject::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    OSObject *self = static_cast<OSObject *>(object);
    switch (rpc.message->msgid) {
    case OSObject_SetDispatchQueue_ID:
        if (netdext::dispatch_to(rpc, [self](const char *name, IODispatchQueue *queue) {
                return self->OSObject::SetDispatchQueue_Impl(name, queue);
            }))
            return kIOReturnSuccess;
        break;
    case OSObject_CopyDispatchQueue_ID:
        if (netdext::dispatch_to(rpc, [self](const char *name, IODispatchQueue **queue) {
                return self->OSObject::CopyDispatchQueue_Impl(name, queue);
            }))
            return kIOReturnSuccess;
        break;
    }
    return OSMetaClassBase::_Dispatch(object, rpc);
}

OSObject::~OSObject() {
    if (m_objectState != nullptr) {
        for (auto &binding : m_objectState->queues)
            binding.second->release();
        delete m_objectState;
    }
}

bool OSObject::init() { return true; }

void OSObject::free() {}

void OSObject::retain() const { OSMetaClassBase::retain(); }

void OSObject::release() const { OSMetaClassBase::release(); }

void OSObject::netdext_finalize() const {
    OSObject *self = const_cast<OSObject *>(this);
    self->free();
    delete self;
}

kern_return_t OSObject::SetDispatchQueue(const IODispatchQueueName name, IODispatchQueue *queue,
                                         OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return SetDispatchQueue_Impl(name, queue);
    return netdext::call_super<kern_return_t, const char *, IODispatchQueue *>(
        this, OSObject_SetDispatchQueue_ID, supermethod, name, queue);
}

kern_return_t OSObject::CopyDispatchQueue(const IODispatchQueueName name, IODispatchQueue **queue,
                                          OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return CopyDispatchQueue_Impl(name, queue);
    return netdext::call_super<kern_return_t, const char *, IODispatchQueue **>(
        this, OSObject_CopyDispatchQueue_ID, supermethod, name, queue);
}

namespace {
std::mutex g_object_state_mutex;
}

static OSObject_IVars &object_state(OSObject_IVars *&state) {
    std::lock_guard lock(g_object_state_mutex);
    if (state == nullptr)
        state = new OSObject_IVars;
    return *state;
}

kern_return_t OSObject::SetDispatchQueue_Impl(const char *name, IODispatchQueue *queue) {
    if (name == nullptr || name[0] == '\0' || queue == nullptr)
        return kIOReturnBadArgument;
    OSObject_IVars &state = object_state(m_objectState);
    IODispatchQueue *old = nullptr;
    {
        std::lock_guard lock(state.mutex);
        queue->retain();
        for (auto &binding : state.queues) {
            if (binding.first == name) {
                old = binding.second;
                binding.second = queue;
                break;
            }
        }
        if (old == nullptr)
            state.queues.emplace_back(name, queue);
    }
    if (old != nullptr)
        old->release();
    return kIOReturnSuccess;
}

kern_return_t OSObject::CopyDispatchQueue_Impl(const char *name, IODispatchQueue **queue) {
    if (name == nullptr || queue == nullptr)
        return kIOReturnBadArgument;
    *queue = nullptr;
    OSObject_IVars &state = object_state(m_objectState);
    std::lock_guard lock(state.mutex);
    for (auto &binding : state.queues) {
        if (binding.first == name) {
            binding.second->retain();
            *queue = binding.second;
            return kIOReturnSuccess;
        }
    }
    if (std::strcmp(name, kIOServiceDefaultQueueName) != 0)
        return kIOReturnNotFound;
    // DriverKit: every object has a "Default" queue; netdext creates it on first use.
    IODispatchQueue *created = nullptr;
    kern_return_t kr = IODispatchQueue::Create(kIOServiceDefaultQueueName, 0, 0, &created);
    if (kr != kIOReturnSuccess)
        return kr;
    state.queues.emplace_back(kIOServiceDefaultQueueName, created);
    created->retain();
    *queue = created;
    return kIOReturnSuccess;
}
