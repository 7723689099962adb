#include "generator.h"

#include "conditionals.h"
#include "header_writer.h"
#include "impl_writer.h"
#include "lexer.h"
#include "parser.h"

namespace netdext::iig {

Result<GeneratedFiles> generate(std::string_view source, const GeneratorOptions &options) {
    // Pass 1: settle #if __IIG, keeping offsets, lines and columns as they were.
    Result<std::vector<Token>> raw_tokens = Lexer(source).tokenize();
    if (!raw_tokens)
        return raw_tokens.error();
    Result<std::string> resolved = ConditionalResolver::resolve(source, raw_tokens.value());
    if (!resolved)
        return resolved.error();
    // Pass 2: parse what Apple's iig would see.
    const std::string &text = resolved.value();
    Result<std::vector<Token>> tokens = Lexer(text).tokenize();
    if (!tokens)
        return tokens.error();
    Result<IigFile> file = Parser(text, tokens.value()).parse();
    if (!file)
        return file.error();
    GeneratedFiles out;
    out.header = HeaderWriter(file.value(), options).write();
    out.implementation = ImplWriter(file.value(), options).write();
    out.warnings = file.value().warnings;
    return out;
}

} // namespace netdext::iig
