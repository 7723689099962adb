// The API coverage scanner on small synthetic headers (each rule it applies) and on the real
// SDK headers (the shapes docs/api-coverage.md depends on).

#include <gtest/gtest.h>

#include "render.h"
#include "scanner.h"

#include <algorithm>
#include <string>

using namespace api_coverage;

namespace {

Api scan(const std::string &source, Macros macros = {}) {
    collect_macros(source, macros);
    Api api;
    std::string error;
    EXPECT_TRUE(scan_header(source, "Test.h", macros, api, error)) << error;
    return api;
}

const Member *find(const Class &cls, const std::string &name) {
    auto it = std::find_if(cls.members.begin(), cls.members.end(),
                           [&](const Member &m) { return m.name == name; });
    return it == cls.members.end() ? nullptr : &*it;
}

const Class *find(const Api &api, const std::string &name) {
    auto it = std::find_if(api.classes.begin(), api.classes.end(),
                           [&](const Class &c) { return c.name == name; });
    return it == api.classes.end() ? nullptr : &*it;
}

std::vector<std::string> names(const Class &cls) {
    std::vector<std::string> out;
    for (const Member &m : cls.members)
        out.push_back(m.name);
    return out;
}

} // namespace

TEST(ApiCoverageScanner, MultiLineDeclarationsAndTheirKinds) {
    Api api = scan(R"(
/* a comment with class Fake { void x(); }; inside */
class IOThing : public OSObject, public OSInterface {
public:
    // IOThing(int) is not a constructor in a comment
    IOThing(int value);
    virtual kern_return_t Start(IOService *provider,
                                OSDispatchMethod supermethod = NULL);
    static kern_return_t Create(IOService *device,
                                const char name[1024],
                                IOThing **thing);
    virtual kern_return_t Cancel(IODispatchSourceCancelHandler handler) = 0;
    virtual kern_return_t setDataLength(uint32_t length) final;
    uint32_t getDataLength() const;
    bool init() override;
    static void *operator new(size_t size);
    const char *name() const { if (x) { return "a"; } return "b"; }
    IOThing(const IOThing &) = delete;
    ~IOThing();
};
)");
    ASSERT_EQ(api.classes.size(), 1u);
    const Class &cls = api.classes[0];
    EXPECT_EQ(cls.name, "IOThing");
    EXPECT_EQ(cls.bases, (std::vector<std::string>{"OSObject", "OSInterface"}));
    EXPECT_EQ(names(cls),
              (std::vector<std::string>{"IOThing", "Start", "Create", "Cancel", "setDataLength",
                                        "getDataLength", "init", "operator new", "name"}));
    EXPECT_EQ(find(cls, "IOThing")->kind, MemberKind::constructor);
    EXPECT_EQ(find(cls, "Start")->kind, MemberKind::dispatchable);
    EXPECT_EQ(find(cls, "Start")->signature, "kern_return_t Start(IOService *provider)");
    EXPECT_EQ(find(cls, "Create")->kind, MemberKind::static_method);
    EXPECT_EQ(find(cls, "Create")->signature,
              "kern_return_t Create(IOService *device, const char name[1024], IOThing **thing)");
    EXPECT_EQ(find(cls, "Cancel")->kind, MemberKind::pure_virtual);
    EXPECT_EQ(find(cls, "setDataLength")->kind, MemberKind::virtual_method);
    EXPECT_EQ(find(cls, "getDataLength")->signature, "uint32_t getDataLength() const");
    EXPECT_EQ(find(cls, "getDataLength")->kind, MemberKind::method);
    EXPECT_EQ(find(cls, "init")->kind, MemberKind::virtual_method);
    EXPECT_EQ(find(cls, "operator new")->signature, "void *operator new(size_t size)");
    EXPECT_EQ(find(cls, "name")->signature, "const char *name() const");
    EXPECT_EQ(find(cls, "Start")->line, 7);
}

TEST(ApiCoverageScanner, OnlyPublicApiIsListed) {
    Api api = scan(R"(
namespace netdext { class Hidden { public: void visible(); }; }
class A {
    void private_by_default();
public:
    kern_return_t netdext_setup(int x);
    static kern_return_t _Dispatch(OSMetaClassBase *self, const IORPC rpc);
    typedef void (*Callback)(int);
    void (*callback)(int);
    struct Nested { void not_a_member(); };
    union { int a; float b; };
    using super = OSObject;
    template <class Q> friend Q *make(int);
    template <class... A> bool netdext_send(A... args);
    int data = 3;
    std::atomic<int32_t> count{1};
    void kept();
protected:
    virtual kern_return_t Start_Impl(IOService *provider);
    void protected_member();
private:
    void private_member();
};
struct PlainData { int a; };
struct WithMethods { explicit WithMethods(int x) : a(x) { go(); } int a; };
class Forward;
)");
    ASSERT_EQ(api.classes.size(), 2u);
    EXPECT_EQ(names(api.classes[0]), std::vector<std::string>{"kept"});
    EXPECT_EQ(api.classes[1].name, "WithMethods");
    EXPECT_EQ(names(api.classes[1]), std::vector<std::string>{"WithMethods"});
    EXPECT_EQ(api.classes[1].members[0].kind, MemberKind::constructor);
}

TEST(ApiCoverageScanner, TheUnsupportedMarker) {
    Api api = scan(R"(
class Poller {
public:
    static Poller *poller(OSObject *target,
                          IOOptionBits options) NETDEXT_UNSUPPORTED;
    void enable() NETDEXT_UNSUPPORTED;
    virtual kern_return_t CopyMemoryDescriptor(IOMemoryDescriptor **memory) NETDEXT_UNSUPPORTED;
    void works();
};
)");
    const Class &cls = api.classes.at(0);
    EXPECT_TRUE(find(cls, "poller")->unsupported);
    EXPECT_EQ(find(cls, "poller")->signature,
              "Poller *poller(OSObject *target, IOOptionBits options)");
    EXPECT_TRUE(find(cls, "enable")->unsupported);
    EXPECT_TRUE(find(cls, "CopyMemoryDescriptor")->unsupported);
    EXPECT_EQ(find(cls, "CopyMemoryDescriptor")->kind, MemberKind::virtual_method);
    EXPECT_FALSE(find(cls, "works")->unsupported);
}

TEST(ApiCoverageScanner, MemberMacrosAreExpandedWithPastingAndNesting) {
    Macros macros;
    collect_macros(R"(
#define NETDEXT_CLASS_MEMBERS(cls, base)                                 \
public:                                                                  \
    using super = base;                                                  \
    static OSMetaClass *sGetMetaClass();                                 \
    kern_return_t Dispatch(const IORPC rpc) override;                    \
    static kern_return_t _Dispatch(OSMetaClassBase *self, const IORPC rpc);
)",
                   macros);
    Api api = scan(R"(
#define QUEUE_MEMBERS(Kind)                                                        \
    NETDEXT_CLASS_MEMBERS(IOUserNetwork##Kind##Queue, IOUserNetworkPacketQueue)     \
    static kern_return_t Create(IOUserNetwork##Kind##Queue **queue);               \
protected:                                                                         \
    kern_return_t SetEnable_Impl(bool isEnable) override;                          \
    void hidden();                                                                 \
public:

class IOUserNetworkTxCompletionQueue : public IOUserNetworkPacketQueue {
public:
    QUEUE_MEMBERS(TxCompletion)
    IOReturn setPacketPoller(IOUserNetworkPacketPoller *poller) NETDEXT_UNSUPPORTED;
};
)",
                   macros);
    const Class &cls = api.classes.at(0);
    EXPECT_EQ(names(cls),
              (std::vector<std::string>{"sGetMetaClass", "Dispatch", "Create", "setPacketPoller"}));
    EXPECT_EQ(find(cls, "sGetMetaClass")->kind, MemberKind::class_glue);
    EXPECT_EQ(find(cls, "sGetMetaClass")->macro,
              "NETDEXT_CLASS_MEMBERS(IOUserNetworkTxCompletionQueue, IOUserNetworkPacketQueue)");
    EXPECT_EQ(find(cls, "Create")->signature,
              "kern_return_t Create(IOUserNetworkTxCompletionQueue **queue)");
    EXPECT_EQ(find(cls, "Create")->macro, "QUEUE_MEMBERS(TxCompletion)");
    EXPECT_EQ(find(cls, "Create")->line, 12);
    EXPECT_TRUE(find(cls, "setPacketPoller")->macro.empty());
}

TEST(ApiCoverageScanner, FreeFunctionsInExternCBlocks) {
    Api api = scan(R"(
#ifdef __cplusplus
extern "C" {
#endif
void *IOMalloc(size_t length);
int IOLog(const char *format, ...) __attribute__((format(printf, 1, 2)));
typedef struct IOLock IOLock;
typedef enum { kA = 1, kB = 2 } IOLockAssertState;
extern uint64_t IOVMPageSize;
void *netdext_IOMallocArray(size_t elementSize, size_t count, bool zero);
bool IOParseBootArgNumber(const char *arg_string,
                          void *arg_ptr, int max_len);
#ifdef __cplusplus
}
#endif
enum : uint64_t { kX = 1 };
template <class... A> bool OSAction::netdext_send(A... args) { if (a) { b(); } return true; }
kern_return_t OSObjectAllocate(OSMetaClass *meta, OSObject **object);
)");
    std::vector<std::string> got;
    for (const Function &f : api.functions)
        got.push_back(f.signature);
    EXPECT_EQ(got,
              (std::vector<std::string>{
                  "void *IOMalloc(size_t length)",
                  "int IOLog(const char *format, ...)",
                  "bool IOParseBootArgNumber(const char *arg_string, void *arg_ptr, int max_len)",
                  "kern_return_t OSObjectAllocate(OSMetaClass *meta, OSObject **object)",
              }));
}

TEST(ApiCoverageScanner, UnbalancedBracesAreAnErrorWithTheLine) {
    Macros macros;
    Api api;
    std::string error;
    EXPECT_FALSE(scan_header("class A {\npublic:\n  void f() { if (x) { }\n};\n", "Broken.h",
                             macros, api, error));
    EXPECT_NE(error.find("Broken.h:"), std::string::npos) << error;
}

TEST(ApiCoverageRender, NotesStatusAndStaleNotes) {
    Api api = scan(R"(
class Packet {
public:
    uint64_t getDataVirtualAddress() const;
    kern_return_t getExpiryTime(uint64_t *expiry) const NETDEXT_UNSUPPORTED;
};
int IOLog(const char *format, ...);
)");
    Notes notes;
    std::string error;
    ASSERT_TRUE(parse_notes("# comment\n"
                            "Packet\tOne packet.\n"
                            "Packet::getDataVirtualAddress\tthe buffer base | not the frame\n"
                            "Packet::getDataVirtualAddress\t(see getDataOffset)\n"
                            "IOLog\tto the log sink\n"
                            "Packet::gone\tstale\n",
                            "notes.tsv", notes, error))
        << error;
    std::vector<std::string> problems;
    std::string doc = render_markdown(api, notes, problems);
    EXPECT_NE(doc.find("| `uint64_t getDataVirtualAddress() const` | method | implemented | the "
                       "buffer base \\| not the frame (see getDataOffset) |"),
              std::string::npos)
        << doc;
    EXPECT_NE(doc.find("| `kern_return_t getExpiryTime(uint64_t *expiry) const` | method | stub "
                       "(kIOReturnUnsupported) |"),
              std::string::npos);
    EXPECT_NE(doc.find("\nOne packet.\n"), std::string::npos);
    EXPECT_NE(doc.find("| `int IOLog(const char *format, ...)` | implemented | to the log sink |"),
              std::string::npos);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("\"Packet::gone\" (notes.tsv line 6)"), std::string::npos);
}

TEST(ApiCoverageNotes, AMalformedLineIsAnError) {
    Notes notes;
    std::string error;
    EXPECT_FALSE(parse_notes("Class::member without a tab\n", "notes.tsv", notes, error));
    EXPECT_EQ(error.rfind("notes.tsv:1:", 0), 0u) << error;
}

// The real headers: the shapes the generated document relies on.
TEST(ApiCoverageSdk, TheSdkHeadersScan) {
    Api api;
    std::string error;
    ASSERT_TRUE(scan_sdk(NETDEXT_SDK_INCLUDE_DIR, api, error)) << error;
    const Class *packet = find(api, "IOUserNetworkPacket");
    ASSERT_NE(packet, nullptr);
    EXPECT_EQ(packet->header, "NetworkingDriverKit/IOUserNetworkPacket.h");
    ASSERT_NE(find(*packet, "getDataVirtualAddress"), nullptr);
    EXPECT_EQ(find(*packet, "netdext_state"), nullptr);
    for (const char *queue : {"IOUserNetworkTxSubmissionQueue", "IOUserNetworkTxCompletionQueue",
                              "IOUserNetworkRxSubmissionQueue", "IOUserNetworkRxCompletionQueue"}) {
        const Class *cls = find(api, queue);
        ASSERT_NE(cls, nullptr) << queue;
        const Member *create = find(*cls, "Create");
        ASSERT_NE(create, nullptr) << queue;
        EXPECT_EQ(create->macro.rfind("NETDEXT_PACKET_QUEUE_MEMBERS(", 0), 0u) << queue;
        EXPECT_NE(create->signature.find(std::string(queue) + " **queue"), std::string::npos)
            << create->signature;
        EXPECT_EQ(find(*cls, "getMetaClass")->kind, MemberKind::class_glue) << queue;
    }
    const Class *ethernet = find(api, "IOUserNetworkEthernet");
    ASSERT_NE(ethernet, nullptr);
    EXPECT_EQ(find(*ethernet, "SetInterfaceEnable")->kind, MemberKind::dispatchable);
    EXPECT_EQ(find(*ethernet, "SetInterfaceEnable_Impl"), nullptr);
    EXPECT_TRUE(find(*ethernet, "processInterfaceCommand")->unsupported);
    bool has_iolog = std::any_of(api.functions.begin(), api.functions.end(),
                                 [](const Function &f) { return f.name == "IOLog"; });
    EXPECT_TRUE(has_iolog);
}
