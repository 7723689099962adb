#include "header_writer.h"

namespace netdext::iig {
namespace {

/* The four members every generated class has (defined by NETDEXT_DEFINE_CLASS + _Dispatch). */
const char *const kClassMembers[] = {
    "kern_return_t Dispatch(const IORPC rpc) override;",
    "static kern_return_t _Dispatch(OSMetaClassBase *self, const IORPC rpc);",
    "static OSMetaClass *sGetMetaClass();",
    "const OSMetaClass *getMetaClass() const override;",
};

std::string label(Access access) {
    return std::string(access_keyword(access)) + ":";
}

/*
 * Verbatim text, except that lines of only whitespace (where __IIG lines were) become empty and
 * preprocessor lines lose trailing blanks.
 */
void append_verbatim(std::string &out, const std::string &text) {
    size_t line_start = 0;
    while (line_start < text.size()) {
        size_t newline = text.find('\n', line_start);
        size_t line_end = newline == std::string::npos ? text.size() : newline;
        std::string_view line(text.data() + line_start, line_end - line_start);
        size_t first = line.find_first_not_of(" \t\r\v\f");
        if (first != std::string_view::npos && line[first] == '#') {
            // A directive the resolver rewrote in place (`#elif` → `#else`) ends in padding.
            size_t cr = line.back() == '\r' ? 1 : 0;
            size_t last = line.find_last_not_of(" \t\r");
            out += line.substr(0, last + 1);
            if (cr)
                out += '\r';
        } else if (first != std::string_view::npos) {
            out += line;
        }
        if (newline == std::string::npos)
            break;
        out += '\n';
        line_start = newline + 1;
    }
}

/*
 * Declarations of methods that are not RPC entry points, all public: Apple's iig drops the .iig's
 * access labels from the generated class (only the _Impl methods are protected), so drivers may
 * name a `protected:` LOCALONLY static from a file-scope IOUserClientMethodDispatch table or call
 * another class's LOCALONLY helper.
 */
void append_public(std::vector<std::string> &lines, const std::vector<const Method *> &methods) {
    for (const Method *m : methods) {
        const std::string &decl = m->plain_declaration;
        lines.push_back("    " + decl + (!decl.empty() && decl.back() == '}' ? "" : ";"));
    }
}

std::string impl_declaration(const ClassPlan &plan, const Method &m) {
    std::string params =
        plan.owns_args_macro(m) ? args_macro(plan.decl, m) : parameter_list(m, false);
    std::string out = m.is_override ? "" : "virtual ";
    out += m.return_type + " " + m.name + "_Impl(" + params + ")";
    if (m.is_override)
        out += " override";
    return out + ";";
}

} // namespace

const char *access_keyword(Access access) {
    switch (access) {
    case Access::public_:
        return "public";
    case Access::protected_:
        return "protected";
    case Access::private_:
        break;
    }
    return "private";
}

void write_macro_block(std::string &out, const std::string &name,
                       const std::vector<std::string> &lines) {
    out += "#define " + name;
    for (const std::string &line : lines)
        out += " \\\n" + line;
    out += "\n";
}

std::string HeaderWriter::write() const {
    std::string out = "/* iig(netdext-" + m_options.version + ") generated from " +
                      m_options.input_name + " \xe2\x80\x94 do not edit */\n";
    out += "#pragma once\n\n#include <netdext/iig_support.h>\n\n";
    for (const IigFile::Chunk &chunk : m_file.chunks) {
        if (chunk.class_index < 0)
            append_verbatim(out, chunk.text);
        else
            write_class(out, m_file.classes[static_cast<size_t>(chunk.class_index)]);
    }
    if (!out.empty() && out.back() != '\n')
        out += '\n';
    return out;
}

void HeaderWriter::write_class(std::string &out, const ClassDecl &decl) const {
    ClassPlan plan(decl);
    out += "/* class " + decl.name + " (" + m_options.input_name + ":" +
           std::to_string(decl.location.line) + ") */\n";
    out += "#if __DOCUMENTATION__\n";
    append_verbatim(out, decl.original_text);
    out += "\n#else /* !__DOCUMENTATION__ */\n\n";
    write_macros(out, plan);
    write_methods_block(out, plan);
    out += "\n";
    write_virtual_methods_block(out, plan);
    out += "\nextern OSMetaClass *g" + decl.name + "MetaClass;\n\n";
    out += "class " + decl.name + "Interface : public OSInterface {};\n\n";
    out += "struct " + decl.name + "_IVars;\nstruct " + decl.name + "_LocalIVars;\n\n";
    write_class_body(out, plan);
    for (const Method *m : plan.actions)
        write_action_class(out, decl, *m);
    out += "\n#endif /* !__DOCUMENTATION__ */";
}

void HeaderWriter::write_macros(std::string &out, const ClassPlan &plan) const {
    for (const Method *m : plan.ids)
        out += "#define " + id_macro(plan.decl, *m) + " " + id_literal(m->name) + "\n";
    if (!plan.ids.empty())
        out += "\n";
    for (const Method *m : plan.args) {
        std::string params = parameter_list(*m, false);
        out += "#define " + args_macro(plan.decl, *m) + (params.empty() ? "" : " " + params) + "\n";
    }
    if (!plan.args.empty())
        out += "\n";
}

void HeaderWriter::write_methods_block(std::string &out, const ClassPlan &plan) const {
    const ClassDecl &decl = plan.decl;
    std::vector<std::string> lines{"public:"};
    for (const char *member : kClassMembers)
        lines.push_back(std::string("    ") + member);
    for (const Method *m : plan.entries) {
        std::string params = parameter_list(*m, true);
        if (!params.empty())
            params += ", ";
        params += "OSDispatchMethod " + supermethod_name(*m) + " = NULL";
        lines.push_back("    " + m->return_type + " " + m->name + "(" + params + ");");
    }
    for (const Method *m : plan.actions)
        lines.push_back("    kern_return_t CreateAction" + m->name +
                        "(size_t referenceSize, OSAction **action);");
    append_public(lines, plan.plain);
    if (!plan.impls.empty()) {
        lines.push_back("protected:");
        for (const Method *m : plan.impls)
            lines.push_back("    " + impl_declaration(plan, *m));
    }
    lines.push_back("public:");
    write_macro_block(out, decl.name + "_Methods", lines);
}

void HeaderWriter::write_virtual_methods_block(std::string &out, const ClassPlan &plan) const {
    std::vector<std::string> lines;
    if (!plan.plain_virtual.empty()) {
        lines.push_back("public:");
        append_public(lines, plan.plain_virtual);
        lines.push_back("public:");
    }
    write_macro_block(out, plan.decl.name + "_VirtualMethods", lines);
}

void HeaderWriter::write_class_body(std::string &out, const ClassPlan &plan) const {
    const ClassDecl &decl = plan.decl;
    out += "class " + decl.name + (decl.is_final ? " final" : "") + " : public " + decl.base +
           ", public " + decl.name + "Interface\n{\npublic:\n";
    out += "    union {\n        " + decl.name + "_IVars *ivars = nullptr;\n        " + decl.name +
           "_LocalIVars *lvars;\n    };\n";
    out += "    using super = " + decl.base + ";\n";
    Access current = Access::public_;
    for (const PassthroughMember &member : decl.passthrough) {
        if (member.access != current) {
            out += label(member.access) + "\n";
            current = member.access;
        }
        out += "    " + member.text + "\n";
    }
    if (current != Access::public_)
        out += "public:\n";
    out += "    " + decl.name + "_Methods\n    " + decl.name + "_VirtualMethods\n};\n";
}

void HeaderWriter::write_action_class(std::string &out, const ClassDecl &decl,
                                      const Method &m) const {
    std::string name = action_class(decl, m);
    out += "\nstruct " + name + "_IVars;\nstruct " + name + "_LocalIVars;\n\n";
    out += "class " + name + " : public OSAction\n{\npublic:\n";
    for (const char *member : kClassMembers)
        out += std::string("    ") + member + "\n";
    out += "    union {\n        " + name + "_IVars *ivars = nullptr;\n        " + name +
           "_LocalIVars *lvars;\n    };\n";
    out += "    using super = OSAction;\n};\n\n";
    out += "extern OSMetaClass *g" + name + "MetaClass;\n";
}

} // namespace netdext::iig
