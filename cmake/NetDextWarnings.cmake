# Warnings-as-errors for netdext's own code. Applied per target with netdext_warnings(target).
function(netdext_warnings target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-unused-parameter
        $<$<CXX_COMPILER_ID:Clang>:-Wthread-safety -Wno-gnu-statement-expression>
        # GCC 12 at -O3 reports impossible std::string copies (GCC bug 105329).
        $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
endfunction()
