// os_log is reachable through DriverKit/IOLib.h alone, as drivers that include no <os/log.h>
// expect (see the note in IOLib.h).

#include <gtest/gtest.h>

#include <DriverKit/IOLib.h>

TEST(IOLibHeader, BringsOsLog) {
    os_log(OS_LOG_DEFAULT, "IOLib.h brings os_log: %{public}s %u", "yes", 1u);
    SUCCEED();
}
