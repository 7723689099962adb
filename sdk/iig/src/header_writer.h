/*
 * header_writer.h — writes the header a driver's .cpp includes (Foo.iig → Foo.h).
 *
 * For each class C : B the header has, in Apple's shape (API.md §3.2): C_M_ID and C_M_Args
 * macros, the C_Methods and C_VirtualMethods member blocks, gCMetaClass, CInterface, the class
 * itself with its `ivars`/`lvars` union and `using super = B;`, and an OSAction_C_M class for
 * every TYPE method. The class as written stays in an `#if __DOCUMENTATION__` branch.
 */
#ifndef NETDEXT_IIG_HEADER_WRITER_H
#define NETDEXT_IIG_HEADER_WRITER_H

#include <string>

#include "class_plan.h"
#include "generator.h"
#include "model.h"

namespace netdext::iig {

class HeaderWriter {
public:
    HeaderWriter(const IigFile &file, const GeneratorOptions &options)
        : m_file(file), m_options(options) {}

    std::string write() const;

private:
    void write_class(std::string &out, const ClassDecl &decl) const;
    void write_macros(std::string &out, const ClassPlan &plan) const;
    void write_methods_block(std::string &out, const ClassPlan &plan) const;
    void write_virtual_methods_block(std::string &out, const ClassPlan &plan) const;
    void write_class_body(std::string &out, const ClassPlan &plan) const;
    void write_action_class(std::string &out, const ClassDecl &decl, const Method &m) const;

    const IigFile &m_file;
    const GeneratorOptions &m_options;
};

/* `#define NAME \` followed by `lines`, each continued with a backslash but the last. */
void write_macro_block(std::string &out, const std::string &name,
                       const std::vector<std::string> &lines);

} // namespace netdext::iig

#endif
