// DispatchMiddle and DispatchLeaf: overrides that call their base through SUPERDISPATCH, once
// as `super::Start(provider, SUPERDISPATCH)` (Apple's sample) and once as plain `Start(…)`.
#include "DispatchLeaf.h"
#include "dispatch_trace.h"

kern_return_t IMPL(DispatchMiddle, Start) {
    DispatchTrace::instance().record("Middle::Start", middleProvider);
    return super::Start(middleProvider, SUPERDISPATCH);
}

kern_return_t IMPL(DispatchMiddle, Compute) {
    DispatchTrace::instance().record("Middle::Compute", result, value);
    kern_return_t ret = Compute(value, result, SUPERDISPATCH);
    *result += 100;
    return ret;
}

kern_return_t IMPL(DispatchLeaf, Start) {
    DispatchTrace::instance().record("Leaf::Start", leafProvider);
    return Start(leafProvider, SUPERDISPATCH);
}

kern_return_t DispatchLeaf::Compute_Impl(uint32_t n, uint64_t *out) {
    DispatchTrace::instance().record("Leaf::Compute", out, n);
    kern_return_t ret = Compute(n, out, SUPERDISPATCH);
    *out += 1000;
    return ret;
}

kern_return_t IMPL(DispatchLeaf, SetPowerState) {
    DispatchTrace::instance().record("Leaf::SetPowerState", nullptr, state);
    // DispatchMiddle does not override SetPowerState: the call passes it by.
    return SetPowerState(state, SUPERDISPATCH);
}

uint32_t DispatchLeaf::ProtectedTwice(uint32_t value) {
    return value * 2;
}

uint32_t DispatchLeaf::ProtectedHelper(uint32_t value) {
    return ProtectedTwice(value) + 1;
}

uint32_t DispatchLeaf::PrivateHook() {
    return 7;
}
