#include "test_support.h"

#include <netdext/shm/shared_region.h>
#include <netdext/shm/sys/event_fd.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

namespace netdext::shm {
namespace {

using namespace std::chrono_literals;
using testing::must;

TEST(Memfd, CreatedMemfdIsSealedAgainstResizing) {
    Memfd memfd = must(Memfd::create("sealed", 8192));
    int seals = ::fcntl(memfd.fd(), F_GET_SEALS);
    ASSERT_GE(seals, 0);
    EXPECT_EQ(seals & Memfd::kRequiredSeals, Memfd::kRequiredSeals);
    EXPECT_EQ(seals & F_SEAL_WRITE, 0) << "both sides must be able to write";

    errno = 0;
    EXPECT_NE(::ftruncate(memfd.fd(), 4096), 0);
    EXPECT_EQ(errno, EPERM);
    errno = 0;
    EXPECT_NE(::ftruncate(memfd.fd(), 16384), 0);
    EXPECT_EQ(errno, EPERM);
    errno = 0;
    EXPECT_NE(::fcntl(memfd.fd(), F_ADD_SEALS, F_SEAL_WRITE), 0) << "F_SEAL_SEAL must be set";
    EXPECT_EQ(errno, EPERM);
}

TEST(Memfd, ReceiverAcceptsAProperlySealedMemfd) {
    Memfd memfd = must(Memfd::create("ok", 4096));
    Memfd adopted = must(Memfd::adopt(must(memfd.duplicate()), 4096));
    EXPECT_EQ(adopted.size(), 4096u);
}

TEST(Memfd, ReceiverRefusesAnUnsealedMemfd) {
    UniqueFd raw(::memfd_create("unsealed", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    ASSERT_TRUE(raw.is_valid());
    ASSERT_EQ(::ftruncate(raw.get(), 4096), 0);
    EXPECT_ERROR_CODE(Memfd::adopt(std::move(raw), 4096), ErrorCode::NotSealed);
}

TEST(Memfd, ReceiverRefusesAPartiallySealedMemfd) {
    UniqueFd raw(::memfd_create("partial", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    ASSERT_TRUE(raw.is_valid());
    ASSERT_EQ(::ftruncate(raw.get(), 4096), 0);
    ASSERT_EQ(::fcntl(raw.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0); // no F_SEAL_SEAL
    EXPECT_ERROR_CODE(Memfd::adopt(std::move(raw), 4096), ErrorCode::NotSealed);
}

TEST(Memfd, ReceiverRefusesAMemfdThatCannotBeSealed) {
    UniqueFd raw(::memfd_create("nosealing", MFD_CLOEXEC)); // starts with F_SEAL_SEAL only
    ASSERT_TRUE(raw.is_valid());
    ASSERT_EQ(::ftruncate(raw.get(), 4096), 0);
    EXPECT_ERROR_CODE(Memfd::adopt(std::move(raw), 4096), ErrorCode::NotSealed);
}

TEST(Memfd, ReceiverRefusesTheWrongSize) {
    Memfd memfd = must(Memfd::create("size", 8192));
    EXPECT_ERROR_CODE(Memfd::adopt(must(memfd.duplicate()), 4096), ErrorCode::WrongSize);
    EXPECT_ERROR_CODE(Memfd::adopt(must(memfd.duplicate()), 16384), ErrorCode::WrongSize);
}

TEST(Memfd, ReceiverRefusesSomethingThatIsNotAMemfd) {
    int pipe_fds[2];
    ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
    UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
    auto result = Memfd::adopt(std::move(read_end), 4096);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), ErrorCode::System);
    EXPECT_EQ(result.error().sys_errno(), EINVAL);
    EXPECT_ERROR_CODE(Memfd::adopt(UniqueFd(), 4096), ErrorCode::InvalidArgument);
}

TEST(Memfd, CreateRejectsZeroSize) {
    EXPECT_ERROR_CODE(Memfd::create("zero", 0), ErrorCode::InvalidArgument);
}

TEST(SharedRegion, TwoMappingsOfOneMemfdSeeEachOthersWrites) {
    SharedRegion daemon = must(SharedRegion::create("region", 8192));
    SharedRegion host = must(SharedRegion::attach(must(daemon.memfd().duplicate()), 8192));
    ASSERT_NE(daemon.bytes().data(), host.bytes().data());
    std::memcpy(daemon.bytes().data() + 5000, "hello", 5);
    EXPECT_EQ(std::memcmp(host.bytes().data() + 5000, "hello", 5), 0);
    host.bytes()[0] = std::byte{42};
    EXPECT_EQ(daemon.bytes()[0], std::byte{42});
}

TEST(Mapping, MovesAndUnmaps) {
    Memfd memfd = must(Memfd::create("mapping", 4096));
    Mapping first = must(Mapping::map(memfd.fd(), 4096));
    std::byte *address = first.data();
    Mapping second = std::move(first);
    EXPECT_EQ(first.data(), nullptr);
    EXPECT_EQ(second.data(), address);
    second = Mapping();
    EXPECT_EQ(second.data(), nullptr);
    EXPECT_ERROR_CODE(Mapping::map(memfd.fd(), 0), ErrorCode::InvalidArgument);
}

TEST(EventFd, SignalsAccumulateAndDrainResets) {
    EventFd event = must(EventFd::create());
    EXPECT_EQ(must(event.drain()), 0u);
    EXPECT_FALSE(must(event.wait(0ms)));
    must(event.signal());
    must(event.signal());
    must(event.signal());
    EXPECT_TRUE(must(event.wait(0ms)));
    EXPECT_EQ(must(event.drain()), 3u);
    EXPECT_EQ(must(event.drain()), 0u);
}

TEST(EventFd, WaitTimesOutWithoutASignal) {
    EventFd event = must(EventFd::create());
    EXPECT_FALSE(must(event.wait(1ms)));
}

TEST(EventFd, AdoptedDescriptorIsNonBlocking) {
    EventFd event = must(EventFd::create());
    int copy = ::fcntl(event.fd(), F_DUPFD_CLOEXEC, 0);
    ASSERT_GE(copy, 0);
    ASSERT_EQ(::fcntl(copy, F_SETFL, 0), 0); // clears O_NONBLOCK on the shared file description
    EventFd adopted = must(EventFd::adopt(UniqueFd(copy)));
    EXPECT_NE(::fcntl(adopted.fd(), F_GETFL) & O_NONBLOCK, 0);
    EXPECT_EQ(must(adopted.drain()), 0u) << "drain must not block";
    must(event.signal());
    EXPECT_EQ(must(adopted.drain()), 1u);
}

TEST(Result, DescribesErrors) {
    Error error = Error::from_errno(ENOENT, "open thing");
    EXPECT_NE(error.describe().find("open thing"), std::string::npos);
    EXPECT_NE(error.describe().find(std::strerror(ENOENT)), std::string::npos);
    EXPECT_STREQ(to_string(ErrorCode::BadMagic), "bad message magic");
}

Result<int> doubled(Result<int> input) {
    int value = SHM_TRY(std::move(input));
    return value * 2;
}

TEST(Result, TryPropagatesErrorsAndValues) {
    EXPECT_EQ(must(doubled(21)), 42);
    EXPECT_ERROR_CODE(doubled(Error::from_code(ErrorCode::WrongSize, "x")), ErrorCode::WrongSize);
}

} // namespace
} // namespace netdext::shm
