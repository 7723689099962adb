/*
 * DriverKit/OSMetaClass.h — OSMetaClassBase, OSMetaClass, IORPC and the casting macros.
 *
 * netdext: Apple's names and macro expansions (OSDynamicCast, OSTypeID, SUPERDISPATCH, IMPL, DEFN).
 * The RPC machinery is in-process: an IORPC carries a method ID and a pointer to a typed argument
 * pack (netdext/dispatch.h), and each class's static _Dispatch routes it to its own _Impl or falls
 * through to its base's, exactly as Apple's generated dispatchers do.
 */
#ifndef _DRIVERKIT_OSMETACLASS_H
#define _DRIVERKIT_OSMETACLASS_H

#include <stddef.h>
#include <stdint.h>
#include <atomic>
#include <DriverKit/IOReturn.h>
#include <DriverKit/IOTypes.h>
#include <DriverKit/DriverKit_availability.h>

class OSObject;
class OSMetaClass;
class OSMetaClassBase;
class OSString;
class IODispatchQueue;
class IOService;
class OSAction;
class OSInterface {};

struct IORPCMessageMach; /* netdext: defined in netdext/dispatch.h */
struct IORPCMessage;

struct IORPC {
    IORPCMessageMach *message;
    IORPCMessageMach *reply;
    uint32_t sendSize;
    uint32_t replySize;
};

typedef kern_return_t (*OSDispatchMethod)(OSMetaClassBase *self, const IORPC rpc);

#define APPLE_KEXT_OVERRIDE override
#define OSDeclareDefaultStructors(className)

namespace netdext {
/* A QUEUENAME() annotation: the method with this ID runs on the queue registered under name. */
struct MethodQueueName {
    uint64_t methodID;
    const char *queueName;
};
} // namespace netdext

/*
 * OSMetaClass — one per class: its name, its superclass, its QUEUENAME table and, for concrete
 * classes, a factory. Instances are static; netdext-host finds a driver's class by name here.
 */
class OSMetaClass {
public:
    typedef OSObject *(*Factory)();

    constexpr OSMetaClass(const char *name, OSMetaClass *const *superClass, Factory factory,
                          const netdext::MethodQueueName *queueNames, uint32_t queueNameCount,
                          size_t instanceSize)
        : m_name(name), m_superClass(superClass), m_factory(factory), m_queueNames(queueNames),
          m_queueNameCount(queueNameCount), m_instanceSize(instanceSize) {}

    const char *getClassName() const { return m_name; }
    const OSMetaClass *getSuperClass() const { return m_superClass ? *m_superClass : nullptr; }
    size_t getInstanceSize() const { return m_instanceSize; }
    bool isAbstract() const { return m_factory == nullptr; }

    /* netdext: creates an instance (+1, not yet init'ed); NULL for abstract classes. */
    OSObject *alloc() const;
    /* netdext: the queue a method runs on, from QUEUENAME() up the class chain; "Default" if none. */
    const char *queueNameForMethod(uint64_t methodID) const;
    /* netdext: class registry used to create a driver class by its IOUserClass name. */
    static const OSMetaClass *find(const char *className);
    static void registerClass(const OSMetaClass *meta);
    static void unregisterClass(const OSMetaClass *meta);

private:
    const char *m_name;
    OSMetaClass *const *m_superClass;
    Factory m_factory;
    const netdext::MethodQueueName *m_queueNames;
    uint32_t m_queueNameCount;
    size_t m_instanceSize;
};

/* Apple: OSClassLoadInformation registers a class when its image is loaded. */
struct OSClassLoadInformation {
    explicit OSClassLoadInformation(const OSMetaClass *meta) : metaClass(meta) {
        OSMetaClass::registerClass(meta);
    }
    ~OSClassLoadInformation() { OSMetaClass::unregisterClass(metaClass); }
    OSClassLoadInformation(const OSClassLoadInformation &) = delete;
    OSClassLoadInformation &operator=(const OSClassLoadInformation &) = delete;
    const OSMetaClass *metaClass;
};

/*
 * OSMetaClassBase — the reference count and the virtual dispatch entry of every object.
 * Objects start with a count of one; the release that drops it to zero calls free() and deletes.
 * Memory of every OSObject is zero-filled before construction, as DriverKit's allocator does.
 */
class OSMetaClassBase {
public:
    virtual const OSMetaClass *getMetaClass() const;
    virtual void retain() const;
    virtual void release() const;
    virtual bool isEqualTo(const OSMetaClassBase *anObject) const;
    virtual kern_return_t Dispatch(const IORPC rpc);

    kern_return_t Invoke(const IORPC rpc);
    bool IsRemote() const { return false; }
    const OSMetaClass *GetClass() const { return getMetaClass(); }
    const char *GetClassName() const;
    /* netdext: the current reference count (for tests and leak checks). */
    int32_t getRetainCount() const { return refcount.load(std::memory_order_relaxed); }
    /* netdext: retain unless the object is already being freed; returns whether it retained. */
    bool netdext_try_retain() const;

    static OSMetaClassBase *safeMetaCast(const OSMetaClassBase *anObject, const OSMetaClass *toMeta);
    static kern_return_t _Dispatch(OSMetaClassBase *self, const IORPC rpc);

    static void *operator new(size_t size);
    static void operator delete(void *mem, size_t size);
    static void *operator new(size_t, void *where) { return where; }

protected:
    OSMetaClassBase() = default;
    virtual ~OSMetaClassBase();
    /* Called by release() when the count reaches zero. */
    virtual void netdext_finalize() const;

    mutable std::atomic<int32_t> refcount{1};
    int32_t reserved = 0;

private:
    OSMetaClassBase(const OSMetaClassBase &) = delete;
    OSMetaClassBase &operator=(const OSMetaClassBase &) = delete;
};

extern OSMetaClass *gOSMetaClassBaseMetaClass;

#define OSTypeID(type) (g##type##MetaClass)
#define OSMTypeID(type) (g##type##MetaClass)
#define OSTypeIDInst(typeinst) ((typeinst)->getMetaClass())

#define OSDynamicCast(type, inst) \
    ((type *)OSMetaClassBase::safeMetaCast((inst), OSTypeID(type)))

#define OSRequiredCast(type, inst) \
    ((type *)netdext_required_cast((inst), OSTypeID(type), #type, __FILE__, __LINE__))

#define OSTypeAlloc(type) ((type *)netdext_type_alloc(OSTypeID(type)))

OSMetaClassBase *netdext_required_cast(const OSMetaClassBase *inst, const OSMetaClass *meta,
                                       const char *typeName, const char *file, int line);
OSObject *netdext_type_alloc(const OSMetaClass *meta);
kern_return_t OSObjectAllocate(OSMetaClass *meta, OSObject **object);

#define SUPERDISPATCH ((OSDispatchMethod) & super::_Dispatch)

#define DEFN(classname, name) name##_Impl(classname##_##name##_Args)
#define IMPL(classname, name) classname ::DEFN(classname, name)

#include <netdext/dispatch.h>

#endif /* _DRIVERKIT_OSMETACLASS_H */
