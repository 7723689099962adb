# Warnings-as-errors for netdext's own code. Applied per target with netdext_warnings(target).
function(netdext_warnings target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-unused-parameter
        $<$<CXX_COMPILER_ID:Clang>:-Wthread-safety -Wno-gnu-statement-expression>)
endfunction()
