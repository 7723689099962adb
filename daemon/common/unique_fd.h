// The daemon uses netdext's one owning file descriptor: netdext/unique_fd.h.
#pragma once

#include <netdext/unique_fd.h>
