// DispatchArgs and DispatchArgsChild: each _Impl records its arguments in call order, the child's
// then passes them on unchanged through SUPERDISPATCH.
#include <DriverKit/OSAction.h>

#include "DispatchArgs.h"
#include "dispatch_trace.h"

#include <string>

namespace {

std::string text(const char *what, std::initializer_list<uint64_t> values) {
    std::string out = std::string(what) + "(";
    for (uint64_t v : values)
        out += (out.back() == '(' ? "" : ", ") + std::to_string(v);
    return out + ")";
}

} // namespace

kern_return_t IMPL(DispatchArgs, Three) {
    DispatchTrace::instance().record(text("Args::Three", {first, second, third}));
    return kIOReturnSuccess;
}

kern_return_t IMPL(DispatchArgs, Mixed) {
    DispatchTrace::instance().record(
        text("Args::Mixed", {wideA, narrowA, wideB, flag ? 1u : 0u, narrowB, small}), out);
    *out = wideA - wideB;
    return kIOReturnSuccess;
}

void IMPL(DispatchArgs, Interrupt) {
    DispatchTrace::instance().record(text("Args::Interrupt", {count, time}), action);
}

kern_return_t IMPL(DispatchArgsChild, Three) {
    DispatchTrace::instance().record(text("Child::Three", {z, y, x}));
    return Three(z, y, x, SUPERDISPATCH);
}

kern_return_t IMPL(DispatchArgsChild, Mixed) {
    DispatchTrace::instance().record(text("Child::Mixed", {w2, n2, w1, f ? 1u : 0u, n1, s}),
                                     result);
    return Mixed(w2, n2, w1, f, n1, s, result, SUPERDISPATCH);
}
