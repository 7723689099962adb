// The daemon uses netdext's one result type: netdext/result.h (Error, Result, NETDEXT_TRY,
// NETDEXT_VERIFY). Syscall wrappers report errno values: `error.is(EINVAL)`, `would_block()`.
#pragma once

#include <netdext/result.h>
