/* Unit tests of the pieces of netdext-iig: lexer, __IIG resolution, parameters, rewriting. */
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include <netdext/method_id.h>

#include "class_plan.h"
#include "conditionals.h"
#include "generator.h"
#include "lexer.h"
#include "parser.h"

using namespace netdext::iig;

namespace {

std::vector<Token> lex(std::string_view source) {
    auto tokens = Lexer(source).tokenize();
    EXPECT_TRUE(tokens.ok()) << (tokens.ok() ? "" : tokens.error().message);
    return tokens.ok() ? tokens.take() : std::vector<Token>{};
}

std::string resolve(std::string_view source) {
    std::vector<Token> tokens = lex(source);
    auto resolved = ConditionalResolver::resolve(source, tokens);
    EXPECT_TRUE(resolved.ok()) << (resolved.ok() ? "" : resolved.error().message);
    return resolved.ok() ? resolved.take() : std::string();
}

/* Parses `members` as the body of `class T : public IOService`. */
ClassDecl parse_class(const std::string &members) {
    std::string source = "class T : public IOService\n{\npublic:\n" + members + "\n};\n";
    std::vector<Token> tokens = lex(source);
    auto file = Parser(source, tokens).parse();
    EXPECT_TRUE(file.ok()) << (file.ok() ? "" : file.error().message);
    if (!file.ok() || file.value().classes.empty())
        return ClassDecl{};
    return file.value().classes.front();
}

GeneratorOptions test_options(const std::string &stem) {
    GeneratorOptions options;
    options.input_name = stem + ".iig";
    options.header_name = stem + ".h";
    options.version = "test";
    return options;
}

Diagnostic parse_error(const std::string &source) {
    auto generated = generate(source, test_options("t"));
    EXPECT_FALSE(generated.ok());
    return generated.ok() ? Diagnostic{} : generated.error();
}

TEST(Lexer, KeepsCommentsAndDirectivesAsSingleTokens) {
    std::vector<Token> tokens = lex("/* a */ #define X \\\n  1\nint x; // end\n");
    ASSERT_EQ(tokens.size(), 7u);
    EXPECT_EQ(tokens[0].kind, TokenKind::comment);
    EXPECT_EQ(tokens[1].kind, TokenKind::directive); // a comment before '#' is whitespace
    EXPECT_EQ(tokens[1].text, "#define X \\\n  1");
    EXPECT_EQ(tokens[2].text, "int");
    EXPECT_EQ(tokens[2].location.line, 3u);
    EXPECT_EQ(tokens[4].text, ";");
    EXPECT_EQ(tokens[5].kind, TokenKind::comment);
}

TEST(Lexer, HashInsideALineIsNotADirective) {
    std::vector<Token> tokens = lex("int a # b\n");
    EXPECT_EQ(tokens[2].kind, TokenKind::punct);
}

TEST(Lexer, RawStringsAndPrefixes) {
    std::vector<Token> tokens = lex("R\"x(a)\" )x\" u8\"s\" L'c' 1'000ull 0x1p-3");
    ASSERT_GE(tokens.size(), 5u);
    EXPECT_EQ(tokens[0].kind, TokenKind::string);
    EXPECT_EQ(tokens[0].text, "R\"x(a)\" )x\"");
    EXPECT_EQ(tokens[1].text, "u8\"s\"");
    EXPECT_EQ(tokens[2].kind, TokenKind::character);
    EXPECT_EQ(tokens[3].text, "1'000ull");
    EXPECT_EQ(tokens[4].text, "0x1p-3");
}

TEST(Lexer, CrLfLineEndings) {
    std::vector<Token> tokens = lex("#define A 1\r\nint b;\r\n");
    EXPECT_EQ(tokens[0].text, "#define A 1");
    EXPECT_EQ(tokens[1].location.line, 2u);
    EXPECT_EQ(tokens[1].location.column, 1u);
}

TEST(Lexer, ReportsUnterminatedLiteralsWithTheirLocation) {
    auto tokens = Lexer("int x;\n  \"abc\n").tokenize();
    ASSERT_FALSE(tokens.ok());
    EXPECT_EQ(tokens.error().location.line, 2u);
    EXPECT_EQ(tokens.error().location.column, 3u);
}

TEST(Conditionals, KeepsTheIigBranchAndPreservesLineStructure) {
    std::string in = "#if __IIG\nA\n#else\nB\n#endif\nC\n";
    std::string out = resolve(in);
    EXPECT_EQ(out.size(), in.size());
    EXPECT_EQ(out, "         \nA\n     \n \n      \nC\n");
}

TEST(Conditionals, AllSpellings) {
    EXPECT_EQ(resolve("#ifdef __IIG\nA\n#endif\n"), "            \nA\n      \n");
    EXPECT_EQ(resolve("#ifndef __IIG\nA\n#endif\n"), "             \n \n      \n");
    EXPECT_EQ(resolve("#if !__IIG\nA\n#endif\n"), "          \n \n      \n");
    EXPECT_EQ(resolve("#if defined(__IIG) // c\nA\n#endif\n"),
              "                       \nA\n      \n");
    EXPECT_EQ(resolve("# if defined __IIG\nA\n#endif\n"), "                  \nA\n      \n");
}

TEST(Conditionals, ElifChains) {
    EXPECT_EQ(resolve("#if !__IIG\nA\n#elif X\nB\n#else\nC\n#endif\n"),
              "          \n \n       \n \n     \nC\n      \n");
    EXPECT_EQ(resolve("#if X\nA\n#elif __IIG\nB\n#else\nC\n#endif\n"),
              "     \n \n           \nB\n     \n \n      \n");
}

TEST(Conditionals, ElifChainsAroundAConditionLeftToTheCompiler) {
    // F(…) is a function-like macro: netdext-iig cannot evaluate a call to it.
    const std::string define = "#define F(x) x\n";
    // `#if 0 … #elif F(1)` keeps `#if F(1)`.
    EXPECT_EQ(resolve(define + "#if !__IIG\nA\n#elif F(1)\nB\n#else\nC\n#endif\n"),
              define + "          \n \n#if   F(1)\nB\n#else\nC\n#endif\n");
    // `#if F(1) … #elif __IIG … #else …` keeps the __IIG branch as the #else.
    EXPECT_EQ(resolve(define + "#if F(1)\nA\n#elif __IIG\nB\n#else\nC\n#endif\n"),
              define + "#if F(1)\nA\n#else      \nB\n     \n \n#endif\n");
    std::string other = define + "#if F(1) && __IIG\nA\n#else\nB\n#endif\n";
    EXPECT_EQ(resolve(other), other);
}

PreprocessorContext context_with(std::vector<std::string> defines) {
    PreprocessorContext context = PreprocessorContext::for_iig();
    for (const std::string &d : defines)
        context.macros.define_from_command_line(d);
    return context;
}

std::string resolve_with(std::string_view source, PreprocessorContext &context) {
    std::vector<Token> tokens = lex(source);
    auto resolved = ConditionalResolver::resolve(source, tokens, context);
    EXPECT_TRUE(resolved.ok()) << (resolved.ok() ? "" : resolved.error().message);
    return resolved.ok() ? resolved.take() : std::string();
}

/* What survives of `#if <condition>\nY\n#else\nN\n#endif`: "Y", "N" or "both". */
std::string branch(const std::string &condition, std::vector<std::string> defines = {}) {
    PreprocessorContext context = context_with(std::move(defines));
    std::string out = resolve_with("#if " + condition + "\nY\n#else\nN\n#endif\n", context);
    bool y = out.find('Y') != std::string::npos, n = out.find('N') != std::string::npos;
    return y && n ? "both" : y ? "Y" : n ? "N" : "none";
}

TEST(Conditionals, EvaluatesExpressionsWithCommandLineMacros) {
    EXPECT_EQ(branch("FEATURE"), "N");
    EXPECT_EQ(branch("FEATURE", {"FEATURE"}), "Y");
    EXPECT_EQ(branch("FEATURE", {"FEATURE=0"}), "N");
    EXPECT_EQ(branch("defined(FEATURE) && !defined FEATURE", {"FEATURE=0"}), "N");
    EXPECT_EQ(branch("VERSION >= 0x0200 && VERSION < 03000", {"VERSION=512"}), "Y");
    EXPECT_EQ(branch("(1 << 4) - 1 == 15 ? 'a' == 97 : 0"), "Y");
    EXPECT_EQ(branch("-1 < 0"), "Y");
    EXPECT_EQ(branch("-1 < 0u"), "N") << "unsigned comparison, as in C";
    EXPECT_EQ(branch("10 / 3 * 3 + 10 % 3 == 10 && (6 & 3) == 2 && (6 | 3) == 7 && (6 ^ 3) == 5"),
              "Y");
    EXPECT_EQ(branch("A == 3", {"B=1", "A=B+2"}), "Y") << "macros expand recursively";
    EXPECT_EQ(branch("true && !false"), "Y");
    EXPECT_EQ(branch("1'000 == 1000ull"), "Y");
}

TEST(Conditionals, FollowsDefinesAndUndefsInTheFile) {
    PreprocessorContext context = context_with({});
    std::string out = resolve_with("#define USE_X 1\n#if USE_X\nX\n#endif\n#undef USE_X\n"
                                   "#ifdef USE_X\nY\n#endif\n",
                                   context);
    EXPECT_NE(out.find('X'), std::string::npos);
    EXPECT_EQ(out.find('Y'), std::string::npos);
    EXPECT_NE(out.find("#define USE_X 1"), std::string::npos) << "#define lines pass through";
}

TEST(Conditionals, UnknownConditionsAreKeptWithAWarning) {
    PreprocessorContext context = context_with({});
    std::string in = "#if __has_feature(blocks)\nA\n#endif\n";
    EXPECT_EQ(resolve_with(in, context), in);
    ASSERT_EQ(context.warnings.size(), 1u);
    EXPECT_NE(context.warnings[0].message.find("__has_feature"), std::string::npos)
        << context.warnings[0].message;
}

TEST(Conditionals, MalformedExpressionsAndErrorDirectivesFail) {
    for (const char *bad : {"#if 1 +\n#endif\n", "#if (1\n#endif\n", "#if 1 / 0\n#endif\n",
                            "#if 1.5\n#endif\n", "#if\n#endif\n", "#ifdef\n#endif\n",
                            "#error no\n"}) {
        PreprocessorContext context = context_with({});
        std::vector<Token> tokens = lex(bad);
        EXPECT_FALSE(ConditionalResolver::resolve(bad, tokens, context).ok()) << bad;
    }
    // A false branch's #error is not an error.
    EXPECT_EQ(branch("0\n#error unreachable\n#endif\n#if 1"), "Y");
}

TEST(Conditionals, ReadsMacrosFromIncludedHeadersAndHasInclude) {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / ("iig-include-" + std::to_string(getpid()));
    fs::create_directories(dir / "Vendor");
    std::ofstream(dir / "Vendor" / "Config.h") << "#ifndef CONFIG_H\n#define CONFIG_H\n"
                                                   "#include \"Inner.h\"\n"
                                                   "#if INNER_LEVEL > 1\n#define HAS_RSS 1\n"
                                                   "#endif\n#endif\n";
    std::ofstream(dir / "Vendor" / "Inner.h") << "#define INNER_LEVEL 2\n";
    PreprocessorContext context = context_with({});
    context.search = IncludeSearch({dir.string()});
    std::string out = resolve_with("#include <Vendor/Config.h>\n#if HAS_RSS && "
                                   "__has_include(<Vendor/Inner.h>) && "
                                   "!__has_include(\"Nope.h\")\nRSS\n#endif\n",
                                   context);
    EXPECT_NE(out.find("RSS"), std::string::npos) << out;
    fs::remove_all(dir);
}

TEST(Conditionals, NestedInsideARemovedBranchAreRemoved) {
    EXPECT_EQ(resolve("#ifndef __IIG\n#if X\nA\n#endif\n#endif\nB\n"),
              "             \n     \n \n      \n      \nB\n");
}

TEST(Conditionals, UnbalancedIsAnError) {
    std::vector<Token> tokens = lex("#if __IIG\n");
    EXPECT_FALSE(ConditionalResolver::resolve("#if __IIG\n", tokens).ok());
    tokens = lex("#else\n");
    EXPECT_FALSE(ConditionalResolver::resolve("#else\n", tokens).ok());
}

TEST(Directives, IigIncludesBecomeHeaders) {
    EXPECT_EQ(Parser::rewrite_directive("#include <DriverKit/IOService.iig>"),
              "#include <DriverKit/IOService.h> /* .iig include */");
    EXPECT_EQ(Parser::rewrite_directive("#  include \"Mine.iig\" // x"),
              "#  include \"Mine.h\" // x /* .iig include */");
    EXPECT_EQ(Parser::rewrite_directive("#include <DriverKit/IOLib.h>"),
              "#include <DriverKit/IOLib.h>");
    EXPECT_EQ(Parser::rewrite_directive("#define X <a.iig>"), "#define X <a.iig>");
}

TEST(Parameters, NamesTypesAndDefaults) {
    ClassDecl c = parse_class(
        "virtual kern_return_t M(const IODispatchQueueName name, IOService * /* p */, "
        "uint32_t count = 4, unsigned int, unsigned long long value, struct foo *f, "
        "IOAddressSegment segments[32], IOAddressSegment [8], void (*cb)(int), void (^)(void), "
        "OSAction *action TYPE(DataAvailable), OSAction *target TARGET) LOCAL;");
    ASSERT_EQ(c.methods.size(), 1u);
    const std::vector<Parameter> &p = c.methods[0].parameters;
    ASSERT_EQ(p.size(), 12u);
    EXPECT_EQ(p[0].declaration, "const IODispatchQueueName name");
    EXPECT_EQ(p[0].type, "const IODispatchQueueName");
    EXPECT_EQ(p[1].declaration, "IOService * arg1");
    EXPECT_EQ(p[1].type, "IOService *");
    EXPECT_EQ(p[2].declaration, "uint32_t count");
    EXPECT_EQ(p[2].default_value, "4");
    EXPECT_EQ(p[3].declaration, "unsigned int arg3");
    EXPECT_EQ(p[4].name, "value");
    EXPECT_EQ(p[4].type, "unsigned long long");
    EXPECT_EQ(p[5].name, "f");
    EXPECT_EQ(p[6].declaration, "IOAddressSegment segments[32]");
    EXPECT_EQ(p[6].type, "IOAddressSegment[32]");
    EXPECT_EQ(p[7].declaration, "IOAddressSegment arg7 [8]");
    EXPECT_EQ(p[8].name, "cb");
    EXPECT_EQ(p[8].type, "void (*)(int)");
    EXPECT_EQ(p[9].declaration, "void (^ arg9)(void)");
    EXPECT_EQ(p[10].declaration, "OSAction *action");
    EXPECT_EQ(p[11].declaration, "OSAction *target");
}

TEST(Parameters, AttributeMacrosAreNotNames) {
    ClassDecl c = parse_class("virtual kern_return_t M(OSData ** data DRIVERKIT_RETURNS_RETAINED, "
                              "int x __attribute__((unused)), OSObject * o DRIVERKIT_CONSUMED, "
                              "uint32_t __unused) LOCAL;");
    ASSERT_EQ(c.methods.size(), 1u);
    const std::vector<Parameter> &p = c.methods[0].parameters;
    ASSERT_EQ(p.size(), 4u);
    EXPECT_EQ(p[0].declaration, "OSData ** data");
    EXPECT_EQ(p[1].declaration, "int x");
    EXPECT_EQ(p[2].name, "o");
    EXPECT_EQ(p[3].declaration, "uint32_t arg3");
}

TEST(Parameters, VoidListAndInventedNamesAvoidWrittenOnes) {
    ClassDecl c = parse_class("virtual kern_return_t A(void) LOCAL;\n"
                              "virtual kern_return_t B(int, int arg0) LOCAL;");
    ASSERT_EQ(c.methods.size(), 2u);
    EXPECT_TRUE(c.methods[0].parameters.empty());
    EXPECT_EQ(c.methods[1].parameters[0].name, "arg0_");
}

// IOUserClient::ExternalMethod is LOCALONLY in Apple's header: an override is a plain method the
// driver defines directly; a new ExternalMethod that overrides nothing stays dispatchable.
TEST(Methods, AnExternalMethodOverrideIsLocalOnly) {
    ClassDecl c = parse_class(
        "virtual kern_return_t ExternalMethod(uint64_t selector, IOUserClientMethodArguments * "
        "arguments, const IOUserClientMethodDispatch * dispatch, OSObject * target, void * "
        "reference) override;\n"
        "virtual kern_return_t ExternalMethod2(uint64_t selector) override;\n");
    ASSERT_EQ(c.methods.size(), 2u);
    EXPECT_TRUE(c.methods[0].is_local_only);
    EXPECT_EQ(c.methods[0].plain_declaration,
              "virtual kern_return_t ExternalMethod(uint64_t selector, "
              "IOUserClientMethodArguments * arguments, const IOUserClientMethodDispatch * "
              "dispatch, OSObject * target, void * reference) override");
    EXPECT_TRUE(c.methods[1].is_dispatchable());
}

// `final` instead of `override` still overrides the base's method: Start gets Start_Impl (no new
// entry point hiding IOService::Start) and an ExternalMethod declared final is LOCALONLY.
TEST(Methods, AFinalMethodIsAnOverride) {
    ClassDecl c = parse_class(
        "virtual bool init() final;\n"
        "virtual kern_return_t Start(IOService * provider) final;\n"
        "virtual kern_return_t ExternalMethod(uint64_t selector, IOUserClientMethodArguments * "
        "arguments, const IOUserClientMethodDispatch * dispatch, OSObject * target, void * "
        "reference) final;\n"
        "virtual kern_return_t Fresh(uint32_t x);\n");
    ASSERT_EQ(c.methods.size(), 4u);
    EXPECT_TRUE(c.methods[0].is_override);
    EXPECT_TRUE(c.methods[0].is_local_only);
    EXPECT_EQ(c.methods[0].plain_declaration, "virtual bool init() final");
    EXPECT_TRUE(c.methods[1].is_override);
    EXPECT_TRUE(c.methods[1].is_dispatchable());
    EXPECT_TRUE(c.methods[2].is_override);
    EXPECT_TRUE(c.methods[2].is_local_only);
    EXPECT_FALSE(c.methods[3].is_override);
}

TEST(Methods, KindsAndAnnotations) {
    ClassDecl c = parse_class(
        "virtual bool init() override;\n"
        "virtual kern_return_t Start(IOService * provider) override;\n"
        "virtual void Tick(OSAction *a, uint64_t t) TYPE(IOTimerDispatchSource::TimerOccurred) "
        "QUEUENAME(Poll);\n"
        "static kern_return_t Make(T ** out);\n"
        "virtual kern_return_t setInterfaceEnable(bool e) override;\n"
        "virtual kern_return_t Pure(int x) = 0;\n"
        "int m_field;\n"
        "typedef int Handle;");
    ASSERT_EQ(c.methods.size(), 6u);
    EXPECT_TRUE(c.methods[0].is_local_only);
    EXPECT_EQ(c.methods[0].plain_declaration, "virtual bool init() override");
    EXPECT_TRUE(c.methods[1].is_dispatchable());
    EXPECT_TRUE(c.methods[1].is_override);
    EXPECT_EQ(c.methods[2].type_class, "IOTimerDispatchSource");
    EXPECT_EQ(c.methods[2].type_method, "TimerOccurred");
    EXPECT_EQ(c.methods[2].queue_name, "Poll");
    EXPECT_TRUE(c.methods[3].is_local_only);
    EXPECT_TRUE(c.methods[4].is_local_only); // NDK 2.x lower-case override
    EXPECT_TRUE(c.methods[5].is_pure);
    ASSERT_EQ(c.passthrough.size(), 2u);
    EXPECT_EQ(c.passthrough[0].text, "int m_field;");
}

TEST(Methods, InitGetsOverrideEvenIfTheIigOmitsIt) {
    ClassDecl c = parse_class("virtual bool init();\nvirtual void free() LOCALONLY;");
    ASSERT_EQ(c.methods.size(), 2u);
    EXPECT_EQ(c.methods[0].plain_declaration, "virtual bool init() override");
    EXPECT_EQ(c.methods[1].plain_declaration, "virtual void free() override");
}

TEST(MethodIds, AreTheRuntimesHash) {
    char expected[32];
    std::snprintf(expected, sizeof expected, "0x%016llxULL",
                  static_cast<unsigned long long>(netdext::method_id("Start")));
    EXPECT_EQ(id_literal("Start"), expected);
    static_assert(netdext::method_id("") == 0xcbf29ce484222325ull);
}

TEST(Diagnostics, PointAtTheOriginalLineAndColumn) {
    Diagnostic d = parse_error("#if __IIG\n#endif\nclass A : public B\n{\n  virtual ~A();\n};\n");
    EXPECT_EQ(d.location.line, 5u);
    EXPECT_EQ(d.location.column, 12u);
    EXPECT_EQ(format_diagnostic("x.iig", d).rfind("x.iig:5:12: error: ", 0), 0u);
}

TEST(Warnings, QueueNameOnLocalOnlyMethod) {
    auto generated = generate("class A : public B { public: void f() LOCALONLY QUEUENAME(Q); };",
                              test_options("a"));
    ASSERT_TRUE(generated.ok());
    ASSERT_EQ(generated.value().warnings.size(), 1u);
    EXPECT_NE(generated.value().warnings[0].message.find("QUEUENAME"), std::string::npos);
}

TEST(Generate, CrLfInputProducesTheSameClass) {
    std::string lf = "#include <DriverKit/IOService.iig>\nclass A : public IOService\n{\npublic:\n"
                     "    virtual kern_return_t Start(IOService * provider) override;\n};\n";
    std::string crlf;
    for (char c : lf) {
        if (c == '\n')
            crlf += '\r';
        crlf += c;
    }
    auto a = generate(lf, test_options("a"));
    auto b = generate(crlf, test_options("a"));
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(a.value().implementation, b.value().implementation);
    EXPECT_NE(b.value().header.find("#define A_Start_Args IOService * provider\n"),
              std::string::npos);
}

} // namespace
