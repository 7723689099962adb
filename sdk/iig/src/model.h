/*
 * model.h — what netdext-iig understands of an .iig file.
 *
 * An IigFile is the file's text cut into chunks: verbatim text (with `#include <X.iig>` already
 * rewritten to `<X.h>`) and the classes the generator replaces. Text is kept "as written":
 * parameter lists keep the author's spelling (whitespace normalised to single spaces, comments
 * and annotations removed), because IMPL() bodies see exactly those names.
 */
#ifndef NETDEXT_IIG_MODEL_H
#define NETDEXT_IIG_MODEL_H

#include <cstdint>
#include <string>
#include <vector>

#include "diagnostic.h"

namespace netdext::iig {

enum class Access : uint8_t { private_, protected_, public_ };
const char *access_keyword(Access access);

struct Parameter {
    std::string declaration;   /* "IOService * provider": no annotations, no default */
    std::string type;          /* "IOService *" */
    std::string name;          /* "provider", or a synthesized "argN" if the .iig named none */
    std::string default_value; /* "" if none */
};

struct Method {
    std::string name;
    std::string return_type;
    std::vector<Parameter> parameters;
    Access access = Access::private_;
    SourceLocation location;
    bool is_virtual = false;
    bool is_static = false;
    bool is_override = false;
    bool is_pure = false;
    /* LOCALONLY (explicit or implied: init/free, static, lower-case NDK 2.x overrides). */
    bool is_local_only = false;
    /* TYPE(Class::Method): type_class may be empty for TYPE(Method) (a method of this class). */
    std::string type_class;
    std::string type_method;
    std::string queue_name; /* QUEUENAME(name), "" if none */
    /* For LOCALONLY methods: the declaration as written, annotations removed, on one line, no ';'.
     */
    std::string plain_declaration;

    bool is_type() const { return !type_method.empty(); }
    bool is_dispatchable() const { return !is_local_only; }
    bool returns_void() const { return return_type == "void"; }
};

/* A class member netdext-iig copies into the generated class as written (types, fields, …). */
struct PassthroughMember {
    Access access = Access::private_;
    std::string text;
};

struct ClassDecl {
    std::string name;
    std::string base;
    bool is_final = false;
    SourceLocation location;
    std::string original_text; /* the class as written, for the __DOCUMENTATION__ branch */
    std::vector<Method> methods;
    std::vector<PassthroughMember> passthrough;
};

struct IigFile {
    struct Chunk {
        std::string text;     /* verbatim text, when class_index < 0 */
        int class_index = -1; /* else: the class that goes here */
    };
    std::vector<Chunk> chunks;
    std::vector<ClassDecl> classes;
    std::string implementation; /* the contents of the `@iig implementation` blocks */
    std::vector<Diagnostic> warnings;
};

} // namespace netdext::iig

#endif
