/*
 * netdext/iig_support.h — helpers that netdext-iig's generated code and the SDK's hand-written
 * classes share: class definition (metaclass, registration, Dispatch) and action creation.
 */
#ifndef _NETDEXT_IIG_SUPPORT_H
#define _NETDEXT_IIG_SUPPORT_H

#include <type_traits>
#include <DriverKit/OSMetaClass.h>
#include <DriverKit/OSObject.h>
#include <DriverKit/OSAction.h>

namespace netdext {

template <class T> OSObject *make_instance() {
    if constexpr (std::is_abstract_v<T>)
        return nullptr;
    else
        return new T;
}

/*
 * The factory of a class that netdext-iig generated. Apple's generated glue instantiates every
 * class declared in an .iig, so a class that is still abstract fails to build; so does this.
 */
template <class T> OSObject *make_concrete_instance() {
    static_assert(!std::is_abstract_v<T>,
                  "netdext: this class, declared in an .iig, is abstract: a pure virtual method "
                  "it declares or inherits has no override (the compiler names it below). "
                  "Apple's iig output instantiates every class too, so Xcode rejects it as well.");
    return new T;
}

/* The factory for a metaclass of the SDK's own classes: NULL for abstract classes. */
template <class T> constexpr OSMetaClass::Factory factory_for() {
    if constexpr (std::is_abstract_v<T>)
        return nullptr;
    else
        return &make_instance<T>;
}

/*
 * What generated CreateAction<Method>() does: allocates an ActionClass (an OSAction subclass),
 * binds it to `target` and the target method `targetmsgid`, with the callback type `msgid`.
 */
template <class ActionClass>
kern_return_t create_action(OSObject *target, uint64_t targetmsgid, uint64_t msgid,
                            size_t referenceSize, OSAction **action) {
    if (action == nullptr || target == nullptr)
        return kIOReturnBadArgument;
    *action = nullptr;
    ActionClass *created = new ActionClass;
    if (!created->init()) {
        created->release();
        return kIOReturnNoMemory;
    }
    kern_return_t kr = created->netdext_setup(target, targetmsgid, msgid, referenceSize);
    if (kr != kIOReturnSuccess) {
        created->release();
        return kr;
    }
    *action = created;
    return kIOReturnSuccess;
}

} // namespace netdext

/*
 * Defines the metaclass g<cls>MetaClass (super: g<base>MetaClass) with `factory`, registers the
 * class by name, and defines sGetMetaClass, getMetaClass and Dispatch. `queues` is a
 * netdext::MethodQueueName array (or nullptr) of `nqueues` entries.
 */
#define NETDEXT_DEFINE_CLASS_WITH_FACTORY(cls, base, factory, queues, nqueues)                   \
    static OSMetaClass cls##_sMetaClass(#cls, &g##base##MetaClass, factory, queues, nqueues,      \
                                        sizeof(cls));                                            \
    OSMetaClass *g##cls##MetaClass = &cls##_sMetaClass;                                          \
    static const OSClassLoadInformation cls##_Class(&cls##_sMetaClass);                          \
    OSMetaClass *cls::sGetMetaClass() { return g##cls##MetaClass; }                              \
    const OSMetaClass *cls::getMetaClass() const { return g##cls##MetaClass; }                   \
    kern_return_t cls::Dispatch(const IORPC rpc) { return _Dispatch(this, rpc); }

/* The SDK's own classes: an abstract one is registered without a factory. */
#define NETDEXT_DEFINE_CLASS(cls, base, queues, nqueues)                                         \
    NETDEXT_DEFINE_CLASS_WITH_FACTORY(cls, base, netdext::factory_for<cls>(), queues, nqueues)

/* A class netdext-iig generated: it must be concrete (see make_concrete_instance). */
#define NETDEXT_DEFINE_CONCRETE_CLASS(cls, base, queues, nqueues)                                \
    NETDEXT_DEFINE_CLASS_WITH_FACTORY(cls, base, &netdext::make_concrete_instance<cls>, queues,  \
                                      nqueues)

#endif
