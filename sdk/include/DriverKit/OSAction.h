/*
 * DriverKit/OSAction.h — a callback bound to a target object and one of its methods.
 *
 * netdext: generated CreateAction<Method>() creates an OSAction_<Class>_<Method> (a subclass) for
 * the target with the target method's ID. When a dispatch source fires it, the action sends that
 * message to the target on the queue the method runs on (QUEUENAME, else "Default"). The action
 * retains its target. GetReference() is a zeroed area of referenceSize bytes.
 */
#ifndef _DRIVERKIT_OSACTION_H
#define _DRIVERKIT_OSACTION_H

#include <DriverKit/OSObject.h>
#include <netdext/block.h>

typedef netdext::Block<void()> OSActionCancelHandler;
typedef netdext::Block<void()> OSActionAbortedHandler;

struct OSActionWaitToken;
struct OSAction_IVars;

class OSAction : public OSObject {
public:
    NETDEXT_CLASS_MEMBERS(OSAction, OSObject)

    bool init() override;
    void free() override;

    /* DriverKit private: generated CreateAction<Method>() calls these. */
    static kern_return_t Create(OSObject *target, uint64_t targetmsgid, uint64_t msgid,
                                size_t referenceSize, OSAction **action);
    static kern_return_t CreateWithTypeName(OSObject *target, uint64_t targetmsgid,
                                            uint64_t msgid, size_t referenceSize,
                                            OSString *typeName, OSAction **action);

    void *GetReference();
    kern_return_t Cancel(OSActionCancelHandler handler);
    kern_return_t SetAbortedHandler(OSActionAbortedHandler handler);
    kern_return_t WillWait(OSActionWaitToken **token);
    kern_return_t EndWait(OSActionWaitToken *token);
    kern_return_t Wait(OSActionWaitToken *token, uint64_t options, uint64_t deadline);
    virtual void Aborted(void);

    /* netdext: the target and the IDs this action was created with. */
    OSObject *GetTarget() const;
    uint64_t GetTargetMsgID() const;
    uint64_t GetMsgID() const;
    bool IsCanceled() const;

    /*
     * netdext: deliver the callback with arguments args... (the action itself first) to the target,
     * on the target method's queue: inline if the caller is already on it, else asynchronously.
     * `gate` (optional) is asked on that queue right before the method runs and can veto it;
     * `done` (optional) runs exactly once afterwards, also when the method was vetoed or the action
     * is cancelled. Returns false if the action is cancelled (done has then already run).
     */
    template <class... A>
    bool netdext_send(netdext::Block<bool()> gate, netdext::Block<void()> done, A... args);

    /* netdext: sets up a freshly allocated action (used by Create and by generated subclasses). */
    kern_return_t netdext_setup(OSObject *target, uint64_t targetmsgid, uint64_t msgid,
                                size_t referenceSize);

private:
    void netdext_post(netdext::Block<void()> call, netdext::Block<bool()> gate,
                      netdext::Block<void()> done);
    void netdext_invoked();
    OSAction_IVars *ivars = nullptr;
};

extern OSMetaClass *gOSActionMetaClass;

template <class... A>
bool OSAction::netdext_send(netdext::Block<bool()> gate, netdext::Block<void()> done, A... args) {
    if (IsCanceled()) {
        done();
        return false;
    }
    OSAction *self = this;
    netdext_post(
        [self, args...]() {
            netdext::Invocation<void, OSAction *, A...> inv{std::make_tuple(self, args...), {}};
            IORPCMessageMach msg = netdext::make_message(self->GetTargetMsgID(), inv);
            IORPC rpc{&msg, nullptr, sizeof(msg), 0};
            kern_return_t kr = self->GetTarget()->Dispatch(rpc);
            if (kr != kIOReturnSuccess)
                netdext::report_unhandled_super(self->GetTarget(), self->GetTargetMsgID(), kr);
            self->netdext_invoked();
        },
        gate, done);
    return true;
}

#endif /* _DRIVERKIT_OSACTION_H */
