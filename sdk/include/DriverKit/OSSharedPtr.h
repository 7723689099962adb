/*
 * DriverKit/OSSharedPtr.h — a smart pointer that owns one reference to an OSObject.
 *
 * OSSharedPtr<T> holds a T * and releases it when it is destroyed, reset or assigned over.
 * Whether taking a raw pointer adds a reference is said at the call, with a tag:
 *   OSSharedPtr<T>(p, OSRetain)    the pointer is +0 (borrowed): the shared pointer retains it;
 *   OSSharedPtr<T>(p, OSNoRetain)  the pointer is +1 (a Create/Copy result): it is adopted.
 * The tags are deduced from, so OSSharedPtr(OSDynamicCast(MyDriver, provider), OSRetain) is an
 * OSSharedPtr<MyDriver>. Copies retain, moves transfer; converting copies and moves accept any
 * U * convertible to T *. get() returns the pointer without a reference (not on a temporary: the
 * object could go with it), detach() gives up the reference to the caller, and attach() resets
 * the pointer and returns a value that converts to T ** or OSSharedPtr<T> *, for the out
 * parameter of a call that returns a +1 object:
 *     OSSharedPtr<IODispatchQueue> queue;
 *     CopyDispatchQueue(kIOServiceDefaultQueueName, queue.attach());
 * OSStaticPtrCast and OSConstPtrCast convert between shared pointers (the rvalue forms move the
 * reference); OSDynamicPtrCast is OSDynamicCast for a shared pointer (null when the object is not
 * a Destination), and OSMakeShared<T>() allocates a T (OSTypeAlloc) and owns its reference.
 * There are no comparison operators, as in DriverKit: compare get() or test the pointer
 * (explicit operator bool).
 */
#ifndef DRIVERKIT_OSSHAREDPTR_H
#define DRIVERKIT_OSSHAREDPTR_H

#include <cstddef>
#include <type_traits>

#include <DriverKit/OSMetaClass.h>

struct OS_no_retain_t {
    explicit constexpr OS_no_retain_t() {}
};

struct OS_retain_t {
    explicit constexpr OS_retain_t() {}
};

static inline constexpr auto OSNoRetain = OS_no_retain_t{};
static inline constexpr auto OSRetain = OS_retain_t{};

template <typename T> struct OSSharedPtr {
    using pointer = T *;
    using element_type = T;
    using retain_t = OS_retain_t;
    using no_retain_t = OS_no_retain_t;

    constexpr OSSharedPtr() noexcept : ptr_(nullptr) {}
    constexpr OSSharedPtr(std::nullptr_t) noexcept : ptr_(nullptr) {}

    explicit OSSharedPtr(pointer p, retain_t) noexcept : ptr_(p) { take(); }
    explicit constexpr OSSharedPtr(pointer p, no_retain_t) noexcept : ptr_(p) {}

    OSSharedPtr(const OSSharedPtr &other) : ptr_(other.ptr_) { take(); }
    template <typename U, typename = std::enable_if_t<std::is_convertible_v<U *, T *>>>
    OSSharedPtr(const OSSharedPtr<U> &other) : ptr_(other.ptr_) {
        take();
    }

    constexpr OSSharedPtr(OSSharedPtr &&other) noexcept : ptr_(other.ptr_) { other.ptr_ = nullptr; }
    constexpr OSSharedPtr(OSSharedPtr &&other, no_retain_t) noexcept : ptr_(other.ptr_) {
        other.ptr_ = nullptr;
    }
    template <typename U, typename = std::enable_if_t<std::is_convertible_v<U *, T *>>>
    constexpr OSSharedPtr(OSSharedPtr<U> &&other) noexcept : ptr_(other.ptr_) {
        other.ptr_ = nullptr;
    }

    ~OSSharedPtr() { reset(); }

    OSSharedPtr &operator=(const OSSharedPtr &other) { return reset(other.ptr_, OSRetain); }
    template <typename U, typename = std::enable_if_t<std::is_convertible_v<U *, T *>>>
    OSSharedPtr &operator=(const OSSharedPtr<U> &other) {
        return reset(other.ptr_, OSRetain);
    }
    OSSharedPtr &operator=(OSSharedPtr &&other) {
        pointer moved = other.ptr_;
        other.ptr_ = nullptr;
        return reset(moved, OSNoRetain);
    }
    template <typename U, typename = std::enable_if_t<std::is_convertible_v<U *, T *>>>
    OSSharedPtr &operator=(OSSharedPtr<U> &&other) {
        pointer moved = other.ptr_;
        other.ptr_ = nullptr;
        return reset(moved, OSNoRetain);
    }
    OSSharedPtr &operator=(std::nullptr_t) noexcept { return reset(); }

    constexpr T &operator*() const noexcept { return *ptr_; }
    constexpr pointer operator->() const noexcept { return ptr_; }
    explicit constexpr operator bool() const noexcept { return ptr_ != nullptr; }

    OSSharedPtr &reset() noexcept { return reset(nullptr, OSNoRetain); }
    OSSharedPtr &reset(pointer p, no_retain_t) noexcept {
        pointer old = ptr_;
        ptr_ = p;
        if (old != nullptr)
            old->release();
        return *this;
    }
    OSSharedPtr &reset(pointer p, retain_t) noexcept {
        // Retain the new object before releasing the old one: they may be the same.
        if (p != nullptr)
            p->retain();
        return reset(p, OSNoRetain);
    }

    constexpr pointer get() const &noexcept { return ptr_; }
    constexpr pointer get() const &&noexcept = delete;

    constexpr pointer detach() noexcept {
        pointer p = ptr_;
        ptr_ = nullptr;
        return p;
    }
    pointer detachAsOSPtr() noexcept { return detach(); }

    struct attacher {
        OSSharedPtr &sp;
        attacher(OSSharedPtr &owner) noexcept : sp(owner) {}
        operator pointer *() const noexcept { return &sp.ptr_; }
        operator OSSharedPtr *() const noexcept { return &sp; }
    };
    attacher attach() noexcept {
        reset();
        return attacher(*this);
    }

private:
    template <typename U> friend struct OSSharedPtr;

    friend constexpr void swap(OSSharedPtr &a, OSSharedPtr &b) noexcept {
        pointer p = a.ptr_;
        a.ptr_ = b.ptr_;
        b.ptr_ = p;
    }

    void take() const {
        if (ptr_ != nullptr)
            ptr_->retain();
    }

    pointer ptr_;
};

// OSTypeAlloc and OSDynamicCast paste the class name into its metaclass's; a template reaches the
// metaclass through the class's static sGetMetaClass() instead.
template <typename T> OSSharedPtr<T> OSMakeShared() {
    return OSSharedPtr<T>(static_cast<T *>(netdext_type_alloc(T::sGetMetaClass())), OSNoRetain);
}

template <typename Destination, typename Source>
Destination *netdext_shared_ptr_cast(const OSSharedPtr<Source> &source) {
    return static_cast<Destination *>(
        OSMetaClassBase::safeMetaCast(source.get(), Destination::sGetMetaClass()));
}

template <typename Destination, typename Source>
OSSharedPtr<Destination> OSDynamicPtrCast(const OSSharedPtr<Source> &source) {
    return OSSharedPtr<Destination>(netdext_shared_ptr_cast<Destination>(source), OSRetain);
}

template <typename Destination, typename Source>
OSSharedPtr<Destination> OSDynamicPtrCast(OSSharedPtr<Source> &&source) {
    Destination *cast = netdext_shared_ptr_cast<Destination>(source);
    if (cast == nullptr)
        return nullptr;
    source.detach(); // the reference moves to the result
    return OSSharedPtr<Destination>(cast, OSNoRetain);
}

template <typename To, typename From>
OSSharedPtr<To> OSStaticPtrCast(const OSSharedPtr<From> &ptr) noexcept {
    return OSSharedPtr<To>(static_cast<To *>(ptr.get()), OSRetain);
}

template <typename To, typename From>
OSSharedPtr<To> OSStaticPtrCast(OSSharedPtr<From> &&ptr) noexcept {
    return OSSharedPtr<To>(static_cast<To *>(ptr.detach()), OSNoRetain);
}

template <typename To, typename From>
OSSharedPtr<To> OSConstPtrCast(const OSSharedPtr<From> &ptr) noexcept {
    return OSSharedPtr<To>(const_cast<To *>(ptr.get()), OSRetain);
}

template <typename To, typename From>
OSSharedPtr<To> OSConstPtrCast(OSSharedPtr<From> &&ptr) noexcept {
    return OSSharedPtr<To>(const_cast<To *>(ptr.detach()), OSNoRetain);
}

#endif /* DRIVERKIT_OSSHAREDPTR_H */
