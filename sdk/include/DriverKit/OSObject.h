/*
 * DriverKit/OSObject.h — the root class of every DriverKit object.
 *
 * netdext: init()/free() are LOCALONLY (plain virtuals, chain with super::); SetDispatchQueue and
 * CopyDispatchQueue are dispatchable (trailing OSDispatchMethod). Every object can have named
 * queues; the "Default" queue is created the first time it is asked for.
 */
#ifndef _DRIVERKIT_OSOBJECT_H
#define _DRIVERKIT_OSOBJECT_H

#include <DriverKit/IOReturn.h>
#include <DriverKit/IOTypes.h>
#include <DriverKit/OSMetaClass.h>
#include <DriverKit/IOLib.h>

#define kIOServiceDefaultQueueName "Default"

#define OSObject_SetDispatchQueue_ID netdext::method_id("SetDispatchQueue")
#define OSObject_CopyDispatchQueue_ID netdext::method_id("CopyDispatchQueue")

struct OSObject_IVars;

class OSObject : public OSMetaClassBase {
public:
    NETDEXT_CLASS_MEMBERS(OSObject, OSMetaClassBase)

    OSObject() = default;

    virtual bool init();
    virtual void free();

    void retain() const override;
    void release() const override;

    /* Binds `name` (used by QUEUENAME()) to `queue`; the object keeps a reference. */
    kern_return_t SetDispatchQueue(const IODispatchQueueName name, IODispatchQueue *queue,
                                   OSDispatchMethod supermethod = NULL);
    /* Returns the queue bound to `name` (+1). "Default" always exists. */
    kern_return_t CopyDispatchQueue(const IODispatchQueueName name, IODispatchQueue **queue,
                                    OSDispatchMethod supermethod = NULL);

protected:
    virtual kern_return_t SetDispatchQueue_Impl(const char *name, IODispatchQueue *queue);
    virtual kern_return_t CopyDispatchQueue_Impl(const char *name, IODispatchQueue **queue);
    ~OSObject() override;
    void netdext_finalize() const override;

private:
    OSObject_IVars *m_objectState = nullptr; /* netdext: queue bindings, created on first use */
};

extern OSMetaClass *gOSObjectMetaClass;

#ifndef OSSafeReleaseNULL
/* Apple's expansion: a brace block, not do {} while (0). */
#define OSSafeReleaseNULL(inst)                                                                  \
    {                                                                                            \
        if (NULL != (inst)) {                                                                    \
            (inst)->release();                                                                   \
            (inst) = NULL;                                                                       \
        }                                                                                        \
    }
#endif
#ifndef OSSafeRelease
#define OSSafeRelease(inst)                                                                      \
    do {                                                                                         \
        if (inst)                                                                                \
            (inst)->release();                                                                   \
    } while (0)
#endif

#endif /* _DRIVERKIT_OSOBJECT_H */
