/*
 * impl_writer.h — writes the .iig.cpp compiled into the driver (Foo.iig → Foo.iig.cpp).
 *
 * Per class C : B: the QUEUENAME table and NETDEXT_DEFINE_CLASS (metaclass, registration by
 * name, getMetaClass, Dispatch); C::_Dispatch, which routes a message to C's own M_Impl
 * (non-virtually) or falls through to B::_Dispatch — what SUPERDISPATCH relies on; the public
 * entry points (virtual M_Impl when supermethod is NULL, else netdext::call_super); and
 * CreateAction<M> plus the OSAction_C_M class for every TYPE method. See netdext/dispatch.h.
 */
#ifndef NETDEXT_IIG_IMPL_WRITER_H
#define NETDEXT_IIG_IMPL_WRITER_H

#include <string>

#include "class_plan.h"
#include "generator.h"
#include "model.h"

namespace netdext::iig {

class ImplWriter {
public:
    ImplWriter(const IigFile &file, const GeneratorOptions &options)
        : m_file(file), m_options(options) {}

    std::string write() const;

private:
    void write_class(std::string &out, const ClassDecl &decl) const;
    void write_dispatch(std::string &out, const ClassPlan &plan) const;
    void write_entry_point(std::string &out, const ClassDecl &decl, const Method &m) const;
    void write_unimplemented(std::string &out, const ClassDecl &decl, const Method &m) const;
    void write_action(std::string &out, const ClassDecl &decl, const Method &m) const;

    const IigFile &m_file;
    const GeneratorOptions &m_options;
};

} // namespace netdext::iig

#endif
