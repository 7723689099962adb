/*
 * class_plan.h — what the header and .iig.cpp writers derive from one ClassDecl.
 *
 * Vocabulary (API.md §3): a method is *dispatchable* unless it is LOCALONLY; a dispatchable
 * method without `override` is *new* in its class and gets the public entry point
 * `R M(params…, OSDispatchMethod supermethod = NULL)`; every dispatchable method gets an
 * `M_Impl`, except an `= 0` override. As with Apple's iig, `= 0` on a dispatchable method never
 * makes the C++ class abstract: it means the class has no implementation of it (its generated
 * M_Impl stub reports the call and returns kIOReturnUnsupported). Method IDs are netdext::method_id(name), so overloads share one ID.
 */
#ifndef NETDEXT_IIG_CLASS_PLAN_H
#define NETDEXT_IIG_CLASS_PLAN_H

#include <string>
#include <string_view>
#include <vector>

#include "model.h"

namespace netdext::iig {

struct ClassPlan {
    explicit ClassPlan(const ClassDecl &decl);

    const ClassDecl &decl;
    std::vector<const Method *> ids;           /* C_M_ID: new dispatchable and TYPE, by name */
    std::vector<const Method *> args;          /* C_M_Args: first dispatchable method of a name */
    std::vector<const Method *> entries;       /* public entry points: new dispatchable methods */
    std::vector<const Method *> actions;       /* TYPE methods: CreateAction<M>, OSAction_C_M */
    std::vector<const Method *> impls;         /* M_Impl declarations: dispatchable methods */
    std::vector<const Method *> unimplemented; /* new `= 0` dispatchable methods: stub M_Impl */
    std::vector<const Method *> plain;         /* non-virtual LOCALONLY methods */
    std::vector<const Method *> plain_virtual; /* virtual LOCALONLY methods */
    std::vector<std::vector<const Method *>> cases; /* _Dispatch cases, grouped by name */
    std::vector<const Method *> queues;             /* QUEUENAME'd dispatchable methods, by name */

    /* Whether `m` is the method whose parameter names C_M_Args carries. */
    bool owns_args_macro(const Method &m) const;
};

/* "0x0123456789abcdefULL", netdext::method_id(name). */
std::string id_literal(std::string_view name);
std::string id_macro(const ClassDecl &decl, const Method &m);   /* C_M_ID */
std::string args_macro(const ClassDecl &decl, const Method &m); /* C_M_Args */
/* The ID of the callback type of a TYPE method: Class_Method_ID (C_Method_ID for TYPE(Method)). */
std::string type_id_macro(const ClassDecl &decl, const Method &m);
std::string action_class(const ClassDecl &decl, const Method &m); /* OSAction_C_M */
/* "T a, U b" (with " = default" when asked). */
std::string parameter_list(const Method &m, bool with_defaults);
std::string argument_list(const Method &m); /* "a, b" */
std::string type_list(const Method &m);     /* "T, U" */
/* "supermethod", unless a parameter already has that name. */
std::string supermethod_name(const Method &m);

} // namespace netdext::iig

#endif
