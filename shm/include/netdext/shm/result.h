// shm/ uses netdext's one result type (netdext/result.h); the names below keep shm's spelling.
#pragma once

#include <netdext/result.h>

namespace netdext::shm {
using netdext::Error;
using netdext::ErrorCode;
using netdext::Result;
using netdext::to_string;
using netdext::verify_failed;
} // namespace netdext::shm

#define SHM_TRY(expression) NETDEXT_TRY(expression)
#define SHM_VERIFY(expression) NETDEXT_VERIFY(expression)
