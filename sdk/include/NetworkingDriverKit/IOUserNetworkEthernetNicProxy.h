/*
 * NetworkingDriverKit/IOUserNetworkEthernetNicProxy.h — wake-on-LAN proxy hand-off blobs.
 * netdext keeps them opaque: Linux has no NIC proxy offload, so hwConfigNicProxyData is never
 * called by the system (see docs/api-coverage.md).
 */
#ifndef _NETWORKINGDRIVERKIT_IOUSERNETWORKETHERNETNICPROXY_H
#define _NETWORKINGDRIVERKIT_IOUSERNETWORKETHERNETNICPROXY_H

#include <NetworkingDriverKit/IOUserNetworkTypes.h>

#pragma pack(push, 1)
typedef struct offload_info_s {
    uint32_t len;
    ether_addr_t mac_addr;
    uint8_t flags;
    uint8_t reserved;
    uint8_t buf[0];
} offload_info_t;
typedef struct offload_info_s nicproxy_info_s;
typedef struct offload_info_s nicproxy_info_t;
#pragma pack(pop)

#endif
