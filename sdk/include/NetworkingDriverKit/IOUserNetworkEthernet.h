/*
 * NetworkingDriverKit/IOUserNetworkEthernet.h — the class an Ethernet driver subclasses.
 *
 * netdext: the system (netdext-host talking to netdextd, or the driver test bench) plays the
 * kernel. RegisterEthernetInterface creates the Linux interface (a TAP named en<N> under
 * netdextd); what the Linux stack then does to it arrives as calls on the driver's Default queue:
 *   ip link set up/down        → SetInterfaceEnable(true/false)
 *   ip link set mtu M          → SetMTU(M), refused above GetMaxTransferUnit()
 *   promisc / allmulticast     → SetPromiscuousModeEnable / SetAllMulticastModeEnable
 *   multicast list changes     → SetMulticastAddresses (and setMulticastAddresses)
 * Report* calls go the other way (carrier follows ReportLinkStatus).
 *
 * Two generations of API are declared: Apple's legacy capital-letter API (dispatchable methods
 * with a trailing OSDispatchMethod, overridden as Name_Impl / IMPL) and the NDK 2.x lower-case
 * LOCALONLY methods (plain virtuals). A driver overrides either form:
 *   - The system calls the capital-letter method (SetInterfaceEnable, SetMTU, SelectMediaType,
 *     …), as the kernel does. Its default implementation calls the lower-case counterpart
 *     (setInterfaceEnable, setMaxTransferUnit, handleChosenMedia, …), so a class written for
 *     current SDKs that overrides only the lower-case methods is complete.
 *   - The lower-case defaults are the family's own behaviour (they never call back up), and an
 *     override may chain to them with super:: — e.g. setInterfaceEnable enables or disables the
 *     registered interface's four queues and succeeds; getMaxTransferUnit is ETHERMTU.
 *   - Apple's DriverKit 19/20 .iig declares SetInterfaceEnable, SetPromiscuousModeEnable,
 *     SetAllMulticastModeEnable, SelectMediaType, SetWakeOnMagicPacketEnable, SetMTU,
 *     GetMaxTransferUnit and Set/GetHardwareAssists `= 0`; on a dispatchable method that never
 *     made the C++ class abstract (the base class declares no _Impl for it), and current SDKs
 *     pair them with the lower-case methods, so nothing here is pure virtual.
 */
#ifndef _NETWORKINGDRIVERKIT_IOUSERNETWORKETHERNET_H
#define _NETWORKINGDRIVERKIT_IOUSERNETWORKETHERNET_H

#include <DriverKit/IOService.h>
#include <NetworkingDriverKit/IOUserNetworkEthernetNicProxy.h>
#include <NetworkingDriverKit/IOUserNetworkPacketBufferPool.h>
#include <NetworkingDriverKit/IOUserNetworkPacketQueue.h>
#include <NetworkingDriverKit/IOUserNetworkTypes.h>

#define IOUserNetworkEthernet_ReportLinkStatus_ID netdext::method_id("ReportLinkStatus")
#define IOUserNetworkEthernet_ReportLinkQuality_ID netdext::method_id("ReportLinkQuality")
#define IOUserNetworkEthernet_ReportDataBandwidths_ID netdext::method_id("ReportDataBandwidths")
#define IOUserNetworkEthernet_SetInterfaceEnable_ID netdext::method_id("SetInterfaceEnable")
#define IOUserNetworkEthernet_SetPromiscuousModeEnable_ID netdext::method_id("SetPromiscuousModeEnable")
#define IOUserNetworkEthernet_SetMulticastAddresses_ID netdext::method_id("SetMulticastAddresses")
#define IOUserNetworkEthernet_SetAllMulticastModeEnable_ID netdext::method_id("SetAllMulticastModeEnable")
#define IOUserNetworkEthernet_SelectMediaType_ID netdext::method_id("SelectMediaType")
#define IOUserNetworkEthernet_SetWakeOnMagicPacketEnable_ID netdext::method_id("SetWakeOnMagicPacketEnable")
#define IOUserNetworkEthernet_SetMTU_ID netdext::method_id("SetMTU")
#define IOUserNetworkEthernet_GetMaxTransferUnit_ID netdext::method_id("GetMaxTransferUnit")
#define IOUserNetworkEthernet_SetHardwareAssists_ID netdext::method_id("SetHardwareAssists")
#define IOUserNetworkEthernet_GetHardwareAssists_ID netdext::method_id("GetHardwareAssists")
#define IOUserNetworkEthernet_ReportNicProxyLimits_ID netdext::method_id("ReportNicProxyLimits")

struct IOUserNetworkEthernet_IVars;
namespace netdext {
class InterfaceState;
}

class IOUserNetworkEthernet : public IOService {
public:
    NETDEXT_CLASS_MEMBERS(IOUserNetworkEthernet, IOService)

    bool init() override;
    void free() override;

    /* ---- legacy API: LOCALONLY ---- */
    kern_return_t SetTxPacketHeadroom(uint16_t numBytes);
    kern_return_t SetTxPacketTailroom(uint16_t numBytes);
    kern_return_t SetWakeOnMagicPacketSupport(bool isSupported);
    kern_return_t SetSoftwareVlanSupport(bool isSupported);
    /* queues: exactly one of each of the four kinds, in any order. */
    virtual kern_return_t RegisterEthernetInterface(IOUserNetworkMACAddress macAddress,
                                                    IOUserNetworkPacketBufferPool *pool,
                                                    IOUserNetworkPacketQueue **queues,
                                                    uint32_t queueCount);
    virtual kern_return_t RegisterEthernetInterface(ether_addr_t macAddress,
                                                    IOUserNetworkPacketBufferPool *pool,
                                                    IOUserNetworkPacketQueue **queues,
                                                    uint32_t queueCount);
    virtual kern_return_t ReportAvailableMediaTypes(const IOUserNetworkMediaType *mediaTypes,
                                                    uint32_t count);
    virtual void hwConfigNicProxyData(offload_info_s *handoff) NETDEXT_UNSUPPORTED;

    /* ---- legacy API: dispatchable (override as Name_Impl / IMPL) ---- */
    kern_return_t ReportLinkStatus(IOUserNetworkLinkStatus linkStatus,
                                   IOUserNetworkMediaType activeMediaType,
                                   OSDispatchMethod supermethod = NULL);
    kern_return_t ReportLinkQuality(IOUserNetworkLinkQuality linkQuality,
                                    OSDispatchMethod supermethod = NULL);
    kern_return_t ReportDataBandwidths(uint64_t maxInputBandwidth, uint64_t maxOutputBandwidth,
                                       uint64_t effectiveInputBandwidth,
                                       uint64_t effectiveOutputBandwidth,
                                       OSDispatchMethod supermethod = NULL);
    kern_return_t SetInterfaceEnable(bool isEnable, OSDispatchMethod supermethod = NULL);
    kern_return_t SetPromiscuousModeEnable(bool enable, OSDispatchMethod supermethod = NULL);
    kern_return_t SetMulticastAddresses(const IOUserNetworkMACAddress *addresses, uint32_t count,
                                        OSDispatchMethod supermethod = NULL);
    kern_return_t SetAllMulticastModeEnable(bool enable, OSDispatchMethod supermethod = NULL);
    kern_return_t SelectMediaType(IOUserNetworkMediaType mediaType,
                                  OSDispatchMethod supermethod = NULL);
    kern_return_t SetWakeOnMagicPacketEnable(bool enable, OSDispatchMethod supermethod = NULL);
    kern_return_t SetMTU(uint32_t mtu, OSDispatchMethod supermethod = NULL);
    kern_return_t GetMaxTransferUnit(uint32_t *mtu, OSDispatchMethod supermethod = NULL);
    kern_return_t SetHardwareAssists(uint32_t hardwareAssists, OSDispatchMethod supermethod = NULL);
    kern_return_t GetHardwareAssists(uint32_t *hardwareAssists,
                                     OSDispatchMethod supermethod = NULL);
    kern_return_t ReportNicProxyLimits(nicproxy_limits_info_s nicproxy_limits_info,
                                       OSDispatchMethod supermethod = NULL);

    /* ---- NDK 2.x: LOCALONLY ---- */
    virtual IOReturn registerEthernetInterface(ether_addr_t macAddress,
                                               IOUserNetworkPacketQueue **queues,
                                               uint32_t numQueues,
                                               IOUserNetworkPacketBufferPool *txPool,
                                               IOUserNetworkPacketBufferPool *rxPool);
    virtual IOReturn registerEthernetInterface(IOUserNetworkPacketQueue **queues,
                                               uint32_t numQueues,
                                               IOUserNetworkPacketBufferPool *txPool,
                                               IOUserNetworkPacketBufferPool *rxPool);
    virtual IOReturn setInterfaceEnable(bool enable);
    virtual IOReturn setPromiscuousModeEnable(bool enable);
    virtual IOReturn setAllMulticastModeEnable(bool enable);
    virtual IOReturn setMulticastAddresses(const ether_addr_t *addresses, uint32_t count);
    virtual IOReturn getSupportedMediaArray(MediaWord *mediaArray, uint32_t *mediaCount);
    virtual IOReturn handleChosenMedia(MediaWord chosenMedia);
    virtual MediaWord getInitialMedia();
    virtual IOReturn reportLinkStatus(LinkStatus linkStatus, MediaWord activeMediaType);
    virtual IOReturn reportLinkQuality(LinkQuality linkQuality);
    virtual IOReturn reportDataBandwidths(uint64_t maxInputBandwidth, uint64_t maxOutputBandwidth,
                                          uint64_t effectiveInputBandwidth,
                                          uint64_t effectiveOutputBandwidth);
    virtual IOReturn setMaxTransferUnit(uint32_t mtu);
    virtual uint32_t getMaxTransferUnit();
    virtual uint32_t getHardwareAssists();
    virtual IOReturn setHardwareAssists(uint32_t hardwareAssists);
    virtual IOReturn setHardwareAssists(uint32_t hardwareAssists, uint32_t hardwareAssistsMask);
    virtual IOReturn getTSOOptions(IOUserNetworkTSOOptions *options);
    virtual uint16_t getTxDataOffset();
    virtual uint32_t getFeatureFlags();
    virtual uint32_t getInterfaceSubFamily();
    virtual const char *getBSDName() const;
    virtual const char *getBSDNamePrefix();
    virtual int32_t getBSDUnitNumber();
    virtual IOReturn getHardwareAddress(ether_addr_t *addr);
    virtual IOReturn setHardwareAddress(ether_addr_t *addr);
    virtual IOReturn bpfAttach(uint32_t dataLinkType, uint32_t headerLength);
    virtual int bpfTap(uint32_t dataLinkType, uint32_t mode);
    virtual void bpfTapInputPacket(uint32_t dataLinkType, IOUserNetworkPacket *packet,
                                   void *header, size_t headerLength);
    virtual void bpfTapOutputPacket(uint32_t dataLinkType, IOUserNetworkPacket *packet,
                                    void *header, size_t headerLength);
    virtual IOReturn addHardwareCountsWithInterfaceStatistics(
        const IOUserNetworkHardwareCounts *stats);
    virtual IOReturn reportNicProxyLimits(nicproxy_limits_info_t limits);
    virtual IOReturn processInterfaceCommand(ifdrv_t *cmd_data) NETDEXT_UNSUPPORTED;
    virtual IOReturn updateInterfaceDescriptor();
    virtual IOReturn setPowerState(unsigned long powerState, IOService *whatDevice);
    virtual bool start(IOService *provider);
    virtual void stop(IOService *provider);

    /* netdext: the interface's state (the family reads and updates it). */
    netdext::InterfaceState *netdext_interface() const;
    /* Both registration APIs: the queues' rings on one lane per pool (txPool == rxPool: one). */
    kern_return_t netdext_register(ether_addr_t macAddress, IOUserNetworkPacketQueue **queues,
                                   uint32_t queueCount, IOUserNetworkPacketBufferPool *txPool,
                                   IOUserNetworkPacketBufferPool *rxPool);

protected:
    /* Start, Stop and SetPowerState call start, stop and setPowerState (NDK 2.x), whose defaults
     * are IOService's (stop also unregisters the interface). */
    kern_return_t Start_Impl(IOService *provider) override;
    kern_return_t SetPowerState_Impl(uint32_t powerstate) override;
    kern_return_t Stop_Impl(IOService *provider) override;
    virtual kern_return_t ReportLinkStatus_Impl(IOUserNetworkLinkStatus linkStatus,
                                                IOUserNetworkMediaType activeMediaType);
    virtual kern_return_t ReportLinkQuality_Impl(IOUserNetworkLinkQuality linkQuality);
    virtual kern_return_t ReportDataBandwidths_Impl(uint64_t maxInputBandwidth,
                                                    uint64_t maxOutputBandwidth,
                                                    uint64_t effectiveInputBandwidth,
                                                    uint64_t effectiveOutputBandwidth);
    /* Defaults: the lower-case counterpart (SetWakeOnMagicPacketEnable: kIOReturnUnsupported). */
    virtual kern_return_t SetInterfaceEnable_Impl(bool isEnable);
    virtual kern_return_t SetPromiscuousModeEnable_Impl(bool enable);
    virtual kern_return_t SetMulticastAddresses_Impl(const IOUserNetworkMACAddress *addresses,
                                                     uint32_t count);
    virtual kern_return_t SetAllMulticastModeEnable_Impl(bool enable);
    virtual kern_return_t SelectMediaType_Impl(IOUserNetworkMediaType mediaType);
    virtual kern_return_t SetWakeOnMagicPacketEnable_Impl(bool enable);
    virtual kern_return_t SetMTU_Impl(uint32_t mtu);
    virtual kern_return_t GetMaxTransferUnit_Impl(uint32_t *mtu);
    virtual kern_return_t SetHardwareAssists_Impl(uint32_t hardwareAssists);
    virtual kern_return_t GetHardwareAssists_Impl(uint32_t *hardwareAssists);
    virtual kern_return_t ReportNicProxyLimits_Impl(nicproxy_limits_info_s nicproxy_limits_info);

private:
    IOUserNetworkEthernet_IVars *ivars = nullptr;
};

extern OSMetaClass *gIOUserNetworkEthernetMetaClass;

#endif
