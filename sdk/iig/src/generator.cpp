#include "generator.h"

#include "conditionals.h"
#include "header_writer.h"
#include "impl_writer.h"
#include "lexer.h"
#include "parser.h"

namespace netdext::iig {

Result<GeneratedFiles> generate(std::string_view source, const GeneratorOptions &options) {
    // Pass 1: settle the conditionals as Apple's iig sees them, keeping offsets, lines and
    // columns as they were.
    Result<std::vector<Token>> raw_tokens = Lexer(source).tokenize();
    if (!raw_tokens)
        return raw_tokens.error();
    PreprocessorContext context = PreprocessorContext::for_iig();
    context.search = IncludeSearch(options.include_dirs);
    context.current_dir = options.input_dir;
    for (const std::string &file : options.imacros)
        read_macros_from_file(file, context);
    for (const std::string &definition : options.defines)
        context.macros.define_from_command_line(definition);
    context.macros.define_from_command_line("__IIG=1"); // whatever the files said
    Result<std::string> resolved = ConditionalResolver::resolve(source, raw_tokens.value(), context);
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
    out.warnings = context.warnings;
    out.warnings.insert(out.warnings.end(), file.value().warnings.begin(),
                        file.value().warnings.end());
    return out;
}

} // namespace netdext::iig
