/*
 * netdext/block.h — the callable type behind every DriverKit "block" parameter.
 *
 * DriverKit methods such as IODispatchQueue::DispatchAsync and IODispatchSource::Cancel take
 * Apple blocks. netdext::Block<Sig> accepts a block under `clang -fblocks` (it is copied with
 * Block_copy and released when the last copy goes away) and any C++ callable under both GCC and
 * Clang. Calling an empty Block does nothing and returns a value-initialised R.
 */
#ifndef _NETDEXT_BLOCK_H
#define _NETDEXT_BLOCK_H

#include <functional>
#include <type_traits>
#include <utility>
#if defined(__BLOCKS__)
#include <Block.h>
#elif !defined(__block)
/* Without blocks, a driver's `__block` variables are plain locals that lambdas capture by
 * reference (the `#else` branches drivers write for GCC). */
#define __block
#endif

namespace netdext {

template <class Sig> class Block;

template <class R, class... A> class Block<R(A...)> {
public:
    Block() = default;
    Block(std::nullptr_t) {}
#if defined(__BLOCKS__)
    // netdext: an Apple block is copied to the heap and kept alive by every copy of this Block.
    Block(R (^block)(A...)) {
        if (block != nullptr)
            m_fn = Holder{Block_copy(block)};
    }
#endif
    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Block> &&
                                                std::is_invocable_r_v<R, F &, A...>>>
    Block(F &&fn) : m_fn(std::forward<F>(fn)) {}

    explicit operator bool() const { return static_cast<bool>(m_fn); }

    R operator()(A... args) const {
        if (!m_fn) {
            if constexpr (std::is_void_v<R>)
                return;
            else
                return R{};
        }
        return m_fn(std::forward<A>(args)...);
    }

private:
#if defined(__BLOCKS__)
    struct Holder {
        R (^block)(A...);
        explicit Holder(R (^b)(A...)) : block(b) {}
        Holder(const Holder &o) : block(Block_copy(o.block)) {}
        Holder &operator=(const Holder &) = delete;
        ~Holder() { Block_release(block); }
        R operator()(A... args) const { return block(std::forward<A>(args)...); }
    };
#endif
    std::function<R(A...)> m_fn;
};

} // namespace netdext

#endif
