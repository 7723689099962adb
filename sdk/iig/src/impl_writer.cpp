#include "impl_writer.h"

namespace netdext::iig {

std::string ImplWriter::write() const {
    std::string out = "/* iig(netdext-" + m_options.version + ") generated from " +
                      m_options.input_name + " \xe2\x80\x94 do not edit */\n";
    out += "#include \"" + m_options.header_name + "\"\n";
    if (!m_file.implementation.empty())
        out += "\n" + m_file.implementation;
    for (const ClassDecl &decl : m_file.classes)
        write_class(out, decl);
    return out;
}

void ImplWriter::write_class(std::string &out, const ClassDecl &decl) const {
    ClassPlan plan(decl);
    out += "\n/* class " + decl.name + " */\n\n";
    std::string queues = "nullptr";
    if (!plan.queues.empty()) {
        queues = decl.name + "_QueueNames";
        out += "static const netdext::MethodQueueName " + queues + "[] = {\n";
        for (const Method *m : plan.queues)
            out += "    {" + id_literal(m->name) + ", \"" + m->queue_name + "\"}, /* " + m->name +
                   " */\n";
        out += "};\n\n";
    }
    // As Apple's generated glue does, the registration instantiates the class: a class left
    // abstract (a pure virtual method nobody overrides) fails to compile here, and the
    // compiler names the missing overrides.
    out += "NETDEXT_DEFINE_CONCRETE_CLASS(" + decl.name + ", " + decl.base + ", " + queues +
           ", " + std::to_string(plan.queues.size()) + ")\n\n";
    write_dispatch(out, plan);
    for (const Method *m : plan.entries)
        write_entry_point(out, decl, *m);
    for (const Method *m : plan.unimplemented)
        write_unimplemented(out, decl, *m);
    for (const Method *m : plan.actions)
        write_action(out, decl, *m);
}

void ImplWriter::write_dispatch(std::string &out, const ClassPlan &plan) const {
    const ClassDecl &decl = plan.decl;
    out +=
        "kern_return_t " + decl.name + "::_Dispatch(OSMetaClassBase *object, const IORPC rpc)\n{\n";
    if (!plan.cases.empty()) {
        // netdext_self, not self: a parameter may be called self, and a lambda parameter
        // cannot shadow a capture.
        out += "    " + decl.name + " *netdext_self = static_cast<" + decl.name + " *>(object);\n";
        out += "    if (rpc.message == nullptr)\n        return kIOReturnBadArgument;\n";
        out += "    switch (rpc.message->msgid) {\n";
        for (const std::vector<const Method *> &group : plan.cases) {
            out += "    case " + id_literal(group.front()->name) + ": /* " + group.front()->name +
                   " */\n";
            for (const Method *m : group) {
                out += "        if (netdext::dispatch_to(rpc, [netdext_self](" +
                       parameter_list(*m, false) + ") -> " + m->return_type +
                       " { return netdext_self->" + decl.name + "::" + m->name + "_Impl(" +
                       argument_list(*m) + "); }))\n";
                out += "            return kIOReturnSuccess;\n";
            }
            out += "        break;\n";
        }
        out += "    }\n";
    }
    out += "    return " + decl.base + "::_Dispatch(object, rpc);\n}\n";
}

void ImplWriter::write_entry_point(std::string &out, const ClassDecl &decl, const Method &m) const {
    std::string super = supermethod_name(m);
    std::string params = parameter_list(m, false);
    if (!params.empty())
        params += ", ";
    params += "OSDispatchMethod " + super;
    std::string types = type_list(m);
    std::string args = argument_list(m);
    std::string call_super = "netdext::call_super<" + m.return_type +
                             (types.empty() ? "" : ", " + types) + ">(this, " + id_macro(decl, m) +
                             ", " + super + (args.empty() ? "" : ", " + args) + ")";
    out += "\n" + m.return_type + " " + decl.name + "::" + m.name + "(" + params + ")\n{\n";
    if (m.returns_void()) {
        out += "    if (" + super + " == NULL) {\n        " + m.name + "_Impl(" + args +
               ");\n        return;\n    }\n";
        out += "    " + call_super + ";\n}\n";
    } else {
        out +=
            "    if (" + super + " == NULL)\n        return " + m.name + "_Impl(" + args + ");\n";
        out += "    return " + call_super + ";\n}\n";
    }
}

void ImplWriter::write_unimplemented(std::string &out, const ClassDecl &decl,
                                     const Method &m) const {
    std::string params = parameter_list(m, false);
    out += "\n" + m.return_type + " " + decl.name + "::" + m.name + "_Impl(" + params + ")\n{\n";
    for (const Parameter &p : m.parameters)
        out += "    (void)" + p.name + ";\n";
    std::string report =
        "netdext::report_unimplemented(this, \"" + decl.name + "\", \"" + m.name + "\")";
    if (m.returns_void())
        out += "    " + report + ";\n";
    else if (m.return_type == "kern_return_t" || m.return_type == "IOReturn")
        out += "    return " + report + ";\n";
    else
        out += "    " + report + ";\n    return {};\n";
    out += "}\n";
}

void ImplWriter::write_action(std::string &out, const ClassDecl &decl, const Method &m) const {
    std::string action = action_class(decl, m);
    out += "\nkern_return_t " + decl.name + "::CreateAction" + m.name +
           "(size_t referenceSize, OSAction **action)\n{\n";
    out += "    return netdext::create_action<" + action + ">(this, " + id_macro(decl, m) + ", " +
           type_id_macro(decl, m) + ", referenceSize, action);\n}\n";
    out += "\nNETDEXT_DEFINE_CONCRETE_CLASS(" + action + ", OSAction, nullptr, 0)\n\n";
    out += "kern_return_t " + action +
           "::_Dispatch(OSMetaClassBase *self, const IORPC rpc)\n{\n    return "
           "OSAction::_Dispatch(self, rpc);\n}\n";
}

} // namespace netdext::iig
