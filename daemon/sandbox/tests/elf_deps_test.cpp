// ELF closure: the libraries this test binary needs, found where ld.so finds them.

#include "elf_deps.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <fstream>

namespace {

using namespace netdext::sandbox;

std::string self() {
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    return n > 0 ? std::string(path, size_t(n)) : std::string();
}

bool has_library(const ElfClosure &closure, const std::string &name) {
    return std::any_of(closure.libraries.begin(), closure.libraries.end(),
                       [&](const std::string &path) {
                           return path.size() > name.size() &&
                                  path.compare(path.size() - name.size(), name.size(), name) == 0 &&
                                  path[path.size() - name.size() - 1] == '/';
                       });
}

TEST(ElfClosure, FindsTheLoaderAndEveryLibrary) {
    auto closure = resolve_elf_closure({self()});
    ASSERT_TRUE(closure) << closure.error().describe();
    EXPECT_FALSE(closure.value().interpreter.empty());
    EXPECT_TRUE(closure.value().missing.empty()) << closure.value().missing;
    for (const char *name : {"libc.so.6", "libelf.so.1", "libseccomp.so.2"})
        EXPECT_TRUE(has_library(closure.value(), name)) << name;
    for (const std::string &path : closure.value().libraries)
        EXPECT_EQ(access(path.c_str(), R_OK), 0) << path;
}

TEST(ElfClosure, ReportsWhatItCannotFind) {
    // Without the system directories libc cannot be found.
    auto closure = resolve_elf_closure({self()}, {"/nonexistent"});
    ASSERT_TRUE(closure);
    EXPECT_FALSE(closure.value().missing.empty());
}

TEST(ElfClosure, RefusesFilesThatAreNotElf) {
    char path[] = "/tmp/netdext-elf-test.XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "#!/bin/sh\nexit 0\n", 17), 17);
    close(fd);
    EXPECT_FALSE(resolve_elf_closure({path}));
    unlink(path);
    EXPECT_FALSE(resolve_elf_closure({"/nonexistent/lib.so"}));
}

} // namespace
