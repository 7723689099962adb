// A non-owning reference to a callable (P0792's function_ref, minimal). Used for callbacks that
// run synchronously inside the call that receives them, so nothing is copied or allocated.
// The referenced callable must outlive the call; never store a FunctionRef.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace netdext {

template <class Signature> class FunctionRef;

template <class R, class... Args> class FunctionRef<R(Args...)> {
public:
    template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
             std::is_invocable_r_v<R, F &, Args...>)
        FunctionRef(F &&callable) // NOLINT(google-explicit-constructor): used like a function type
        : m_object(const_cast<void *>(static_cast<const void *>(std::addressof(callable)))),
          m_call([](void *object, Args... args) -> R {
              return (*static_cast<std::remove_reference_t<F> *>(object))(
                  std::forward<Args>(args)...);
          }) {}

    R operator()(Args... args) const { return m_call(m_object, std::forward<Args>(args)...); }

private:
    void *m_object;
    R (*m_call)(void *, Args...);
};

} // namespace netdext
