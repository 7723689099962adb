// What the API coverage scanner finds in the SDK headers: classes with their public members,
// and free functions, in declaration order.
#pragma once

#include <string>
#include <vector>

namespace api_coverage {

enum class MemberKind {
    dispatchable, // trailing OSDispatchMethod supermethod: overridden as Name_Impl / IMPL()
    pure_virtual, // = 0: the driver implements it
    virtual_method,
    static_method,
    method, // non-virtual
    constructor,
    operator_method,
    class_glue, // the members NETDEXT_CLASS_MEMBERS declares for every class
};

struct Member {
    std::string name;      // e.g. "Start", "operator new"
    std::string signature; // e.g. "kern_return_t Start(IOService *provider)", no supermethod
    MemberKind kind = MemberKind::method;
    bool unsupported = false; // declared with NETDEXT_UNSUPPORTED
    std::string macro;        // the member came from this macro invocation, e.g.
                              // "NETDEXT_PACKET_QUEUE_MEMBERS(TxCompletion)"; empty if written
    int line = 0;             // where the declaration (or the macro invocation) starts
};

struct Class {
    std::string name;
    std::string header;  // relative to the include directory, e.g. "DriverKit/IOService.h"
    std::string keyword; // "class" or "struct"
    std::vector<std::string> bases;
    std::vector<Member> members; // public members only, in declaration order
    int line = 0;
};

struct Function {
    std::string name;
    std::string signature;
    std::string header;
    bool unsupported = false;
    int line = 0;
};

struct Api {
    std::vector<Class> classes;
    std::vector<Function> functions;
};

const char *to_string(MemberKind kind);

} // namespace api_coverage
