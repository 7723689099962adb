/*
 * netdext/dispatch.h — the in-process RPC glue behind SUPERDISPATCH, used by the SDK's own classes
 * and by code that netdext-iig generates.
 *
 * A method M with parameters A... and result R has one public entry point, in the class that
 * introduces it:
 *
 *     R M(A... a, OSDispatchMethod supermethod = NULL)
 *       - supermethod == NULL: calls the virtual M_Impl(a...), i.e. the most-derived override;
 *       - otherwise: netdext::call_super() packs a... into an Invocation, and supermethod (the
 *         base's static _Dispatch, named by SUPERDISPATCH) routes it to the first class at or
 *         above that base which implements M, calling that class's M_Impl non-virtually.
 *
 * Each class's static _Dispatch tries the methods it implements with netdext::dispatch_to() and
 * otherwise returns its base's _Dispatch. Argument packs are matched by type (after decay), so an
 * override may name its parameters differently from the base.
 */
#ifndef _NETDEXT_DISPATCH_H
#define _NETDEXT_DISPATCH_H

#include <stdint.h>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <DriverKit/IOReturn.h>
#include <DriverKit/OSMetaClass.h>
#include <netdext/method_id.h>

struct IORPCMessageMach {
    uint64_t msgid;                 /* netdext::method_id() of the method's name */
    const std::type_info *signature; /* typeid of the Invocation below */
    void *invocation;               /* netdext::Invocation<R, A...> */
};

namespace netdext {

template <class R> struct ResultSlot {
    R value{};
};
template <> struct ResultSlot<void> {};

template <class R, class... A> struct Invocation {
    std::tuple<A...> args;
    ResultSlot<R> result;
};

template <class T> struct CallableTraits : CallableTraits<decltype(&T::operator())> {};
template <class C, class R, class... A> struct CallableTraits<R (C::*)(A...) const> {
    using Result = R;
    using Inv = Invocation<R, std::decay_t<A>...>;
};
template <class C, class R, class... A> struct CallableTraits<R (C::*)(A...)> {
    using Result = R;
    using Inv = Invocation<R, std::decay_t<A>...>;
};

/*
 * What the M_Impl stub of a method declared `= 0` in class `cls`'s .iig does when called (no
 * subclass implements it): logs a fault naming it and returns kIOReturnUnsupported, as Apple's
 * runtime answers a message nobody implements.
 */
kern_return_t report_unimplemented(const OSMetaClassBase *self, const char *cls,
                                   const char *method);

/* Reports a SUPERDISPATCH call that no class in the chain implements (a driver bug). */
void report_unhandled_super(const OSMetaClassBase *self, uint64_t msgid, kern_return_t kr);

/*
 * Runs the base implementation of method `msgid` through `supermethod`. R and A are the types as
 * the introducing class declares them; p are the caller's arguments.
 */
template <class R, class... A, class... P>
R call_super(OSMetaClassBase *self, uint64_t msgid, OSDispatchMethod supermethod, P &&...p) {
    using Inv = Invocation<R, std::decay_t<A>...>;
    Inv inv{std::tuple<std::decay_t<A>...>(std::forward<P>(p)...), {}};
    IORPCMessageMach msg{msgid, &typeid(Inv), &inv};
    IORPC rpc{&msg, nullptr, sizeof(msg), 0};
    kern_return_t kr = supermethod(self, rpc);
    if (kr != kIOReturnSuccess) {
        report_unhandled_super(self, msgid, kr);
        if constexpr (std::is_same_v<R, kern_return_t>)
            return kIOReturnUnsupported;
    }
    if constexpr (!std::is_void_v<R>)
        return inv.result.value;
}

/*
 * In a _Dispatch: if the message's argument pack has the types of `impl`'s parameters, unpack it,
 * run impl and store its result; returns whether it ran.
 */
template <class F> bool dispatch_to(const IORPC &rpc, F &&impl) {
    using Traits = CallableTraits<std::decay_t<F>>;
    using Inv = typename Traits::Inv;
    if (rpc.message == nullptr || rpc.message->signature == nullptr ||
        *rpc.message->signature != typeid(Inv))
        return false;
    Inv *inv = static_cast<Inv *>(rpc.message->invocation);
    if constexpr (std::is_void_v<typename Traits::Result>)
        std::apply(impl, inv->args);
    else
        inv->result.value = std::apply(impl, inv->args);
    return true;
}

/* Builds an IORPC for a call to method `msgid` with arguments `inv`, for Dispatch()/Invoke(). */
template <class Inv> IORPCMessageMach make_message(uint64_t msgid, Inv &inv) {
    return IORPCMessageMach{msgid, &typeid(Inv), &inv};
}

} // namespace netdext

/*
 * For the SDK's hand-written classes: the members netdext-iig generates for every class.
 */
#define NETDEXT_CLASS_MEMBERS(cls, base)                                                         \
public:                                                                                        \
    using super = base;                                                                        \
    static OSMetaClass *sGetMetaClass();                                                       \
    const OSMetaClass *getMetaClass() const override;                                         \
    kern_return_t Dispatch(const IORPC rpc) override;                                          \
    static kern_return_t _Dispatch(OSMetaClassBase *self, const IORPC rpc);

#endif
