#include "class_plan.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include <netdext/method_id.h>

namespace netdext::iig {
namespace {

bool has_name(const std::vector<const Method *> &list, const std::string &name) {
    return std::any_of(list.begin(), list.end(),
                       [&name](const Method *m) { return m->name == name; });
}

} // namespace

ClassPlan::ClassPlan(const ClassDecl &decl_) : decl(decl_) {
    for (const Method &m : decl.methods) {
        if (m.is_local_only) {
            (m.is_virtual ? plain_virtual : plain).push_back(&m);
            continue;
        }
        // Apple: `= 0` on a dispatchable method means "no implementation in this class". On an
        // override the class keeps its base's implementation (no M_Impl here); on a new method
        // the generated M_Impl is a stub that fails with kIOReturnUnsupported (unimplemented).
        if (!(m.is_pure && m.is_override))
            impls.push_back(&m);
        if (m.is_pure && !m.is_override)
            unimplemented.push_back(&m);
        if (!has_name(args, m.name))
            args.push_back(&m);
        if (!m.is_override) {
            entries.push_back(&m);
            if (!has_name(ids, m.name))
                ids.push_back(&m);
        }
        if (m.is_type())
            actions.push_back(&m);
        if (!m.queue_name.empty() && !has_name(queues, m.name))
            queues.push_back(&m);
        if (!m.is_pure) {
            auto group = std::find_if(cases.begin(), cases.end(),
                                      [&m](const auto &g) { return g.front()->name == m.name; });
            if (group == cases.end())
                cases.push_back({&m});
            else
                group->push_back(&m);
        }
    }
}

bool ClassPlan::owns_args_macro(const Method &m) const {
    return std::find(args.begin(), args.end(), &m) != args.end();
}

std::string id_literal(std::string_view name) {
    std::string copy(name);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "0x%016" PRIx64 "ULL", netdext::method_id(copy.c_str()));
    return buffer;
}

std::string id_macro(const ClassDecl &decl, const Method &m) {
    return decl.name + "_" + m.name + "_ID";
}

std::string args_macro(const ClassDecl &decl, const Method &m) {
    return decl.name + "_" + m.name + "_Args";
}

std::string type_id_macro(const ClassDecl &decl, const Method &m) {
    const std::string &owner = m.type_class.empty() ? decl.name : m.type_class;
    return owner + "_" + m.type_method + "_ID";
}

std::string action_class(const ClassDecl &decl, const Method &m) {
    return "OSAction_" + decl.name + "_" + m.name;
}

std::string parameter_list(const Method &m, bool with_defaults) {
    std::string out;
    for (const Parameter &p : m.parameters) {
        if (!out.empty())
            out += ", ";
        out += p.declaration;
        if (with_defaults && !p.default_value.empty())
            out += " = " + p.default_value;
    }
    return out;
}

std::string argument_list(const Method &m) {
    std::string out;
    for (const Parameter &p : m.parameters) {
        if (!out.empty())
            out += ", ";
        out += p.name;
    }
    return out;
}

std::string type_list(const Method &m) {
    std::string out;
    for (const Parameter &p : m.parameters) {
        if (!out.empty())
            out += ", ";
        out += p.type;
    }
    return out;
}

std::string supermethod_name(const Method &m) {
    std::string name = "supermethod";
    while (std::any_of(m.parameters.begin(), m.parameters.end(),
                       [&name](const Parameter &p) { return p.name == name; }))
        name = "netdext_" + name;
    return name;
}

} // namespace netdext::iig
