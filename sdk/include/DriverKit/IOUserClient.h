/*
 * DriverKit/IOUserClient.h — the driver side of a connection an application opens to a service.
 *
 * On macOS an application calls IOServiceOpen and IOConnectCallMethod; the kernel asks the
 * service for a user client (IOService::NewUserClient) and calls its ExternalMethod. netdext has
 * no IOKit client library, so the system side is the driver test bench
 * (<netdext/testing/user_client.h>): it opens a connection, calls methods with scalars and
 * structures, receives AsyncCompletion results, and closes it as the kernel would.
 *
 * ExternalMethod is LOCALONLY: a driver defines MyUserClient::ExternalMethod directly and passes
 * what it does not handle to super::ExternalMethod. With a dispatch entry the base checks the
 * arguments against it (kIOReturnBadArgument on a mismatch) and calls its function; without one
 * it returns kIOReturnBadArgument. Calls arrive on the queue named
 * kIOUserClientQueueNameExternalMethod if the user client has one, else on "Default".
 */
#ifndef _DRIVERKIT_IOUSERCLIENT_H
#define _DRIVERKIT_IOUSERCLIENT_H

#include <DriverKit/IOBufferMemoryDescriptor.h> /* as Apple's IOUserClient.h */
#include <DriverKit/IOMemoryDescriptor.h>
#include <DriverKit/IOService.h>
#include <DriverKit/OSAction.h>
#include <DriverKit/OSData.h>
#include <netdext/block.h>

enum {
    kIOUserClientScalarArrayCountMax = 16,
};
typedef uint64_t IOUserClientScalarArray[kIOUserClientScalarArrayCountMax];

enum {
    kIOUserClientAsyncReferenceCountMax = 16,
};
typedef uint64_t IOUserClientAsyncReferenceArray[kIOUserClientAsyncReferenceCountMax];

enum {
    kIOUserClientAsyncArgumentsCountMax = 16,
};
typedef uint64_t IOUserClientAsyncArgumentsArray[kIOUserClientAsyncArgumentsCountMax];

/* CopyClientMemoryForType options. */
enum {
    kIOUserClientMemoryReadOnly = 0x00000001,
};

#define kIOUserClientQueueNameExternalMethod "IOUserClientQueueExternalMethod"

enum {
    kIOUserClientMethodArgumentsCurrentVersion = 2,
};

struct IOUserClientMethodArguments {
    uint64_t version;
    uint64_t selector;
    OSAction *completion;
    const uint64_t *scalarInput;
    uint32_t scalarInputCount;
    OSData *structureInput;
    IOMemoryDescriptor *structureInputDescriptor;
    uint64_t *scalarOutput;
    uint32_t scalarOutputCount;
    OSData *structureOutput;
    IOMemoryDescriptor *structureOutputDescriptor;
    uint64_t structureOutputMaximumSize;
    uint64_t __reserved[30];
};

typedef kern_return_t (*IOUserClientMethodFunction)(OSObject *target, void *reference,
                                                    IOUserClientMethodArguments *arguments);

struct IOUserClientMethodDispatch {
    IOUserClientMethodFunction function;
    uint32_t checkCompletionExists;
    uint32_t checkScalarInputCount;
    uint32_t checkStructureInputSize;
    uint32_t checkScalarOutputCount;
    uint32_t checkStructureOutputSize;
};

/* A check value that accepts any count or size. */
enum {
    kIOUserClientVariableStructureSize = 0xffffffff,
};

#define IOUserClient_CopyClientMemoryForType_ID netdext::method_id("CopyClientMemoryForType")
#define IOUserClient_CreateMemoryDescriptorFromClient_ID                                          \
    netdext::method_id("CreateMemoryDescriptorFromClient")
#define IOUserClient_CopyClientEntitlements_ID netdext::method_id("CopyClientEntitlements")
#define IOUserClient_AsyncCompletion_ID netdext::method_id("AsyncCompletion")

struct IOUserClient_IVars;

class IOUserClient : public IOService {
public:
    NETDEXT_CLASS_MEMBERS(IOUserClient, IOService)

    bool init() override;
    void free() override;

    /* LOCALONLY; see the top of the file. */
    virtual kern_return_t ExternalMethod(uint64_t selector, IOUserClientMethodArguments *arguments,
                                         const IOUserClientMethodDispatch *dispatch,
                                         OSObject *target, void *reference);

    /*
     * Sends an asynchronous result to the application: `action` is the completion the client
     * passed with the call (arguments->completion, which the driver retained), `asyncData`
     * up to kIOUserClientAsyncArgumentsCountMax values. The connection's owner receives it.
     */
    void AsyncCompletion(OSAction *action, IOReturn status,
                         const IOUserClientAsyncArgumentsArray asyncData, uint32_t asyncDataCount,
                         OSDispatchMethod supermethod = NULL);

    /* +1 in *memory: memory of `type` to map into the client; the base has none
     * (kIOReturnUnsupported). */
    kern_return_t CopyClientMemoryForType(uint64_t type, uint64_t *options,
                                          IOMemoryDescriptor **memory,
                                          OSDispatchMethod supermethod = NULL);
    /* A descriptor for client memory: there is no client address space here. */
    kern_return_t CreateMemoryDescriptorFromClient(uint64_t memoryDescriptorCount,
                                                   const IOAddressSegment segments[32],
                                                   IOMemoryDescriptor **memory,
                                                   OSDispatchMethod supermethod = NULL)
        NETDEXT_UNSUPPORTED;
    /* +1 in *entitlements: the entitlements the connecting client was given (an empty
     * dictionary unless the opener passed some). */
    kern_return_t CopyClientEntitlements(OSDictionary **entitlements,
                                         OSDispatchMethod supermethod = NULL);

    /*
     * netdext: the system side of the connection (the driver test bench). Where AsyncCompletion
     * results go, and the client's entitlements (retained; NULL for none).
     */
    using AsyncSink = netdext::Block<void(OSAction *action, IOReturn status,
                                          const uint64_t *asyncData, uint32_t asyncDataCount)>;
    void netdext_set_connection(AsyncSink sink, OSDictionary *entitlements);

protected:
    virtual void AsyncCompletion_Impl(OSAction *action, IOReturn status,
                                      const IOUserClientAsyncArgumentsArray asyncData,
                                      uint32_t asyncDataCount);
    virtual kern_return_t CopyClientMemoryForType_Impl(uint64_t type, uint64_t *options,
                                                       IOMemoryDescriptor **memory);
    virtual kern_return_t CreateMemoryDescriptorFromClient_Impl(
        uint64_t memoryDescriptorCount, const IOAddressSegment segments[32],
        IOMemoryDescriptor **memory);
    virtual kern_return_t CopyClientEntitlements_Impl(OSDictionary **entitlements);

private:
    IOUserClient_IVars *ivars = nullptr;
};

extern OSMetaClass *gIOUserClientMetaClass;

#endif /* _DRIVERKIT_IOUSERCLIENT_H */
