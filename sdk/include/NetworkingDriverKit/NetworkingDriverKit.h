/*
 * NetworkingDriverKit/NetworkingDriverKit.h — umbrella header.
 */
#ifndef _NETWORKINGDRIVERKIT_NETWORKINGDRIVERKIT_H
#define _NETWORKINGDRIVERKIT_NETWORKINGDRIVERKIT_H

#include <NetworkingDriverKit/IOUserNetworkTypes.h>
#include <NetworkingDriverKit/IOUserNetworkPacket.h>
#include <NetworkingDriverKit/IOUserNetworkPacketBufferPool.h>
#include <NetworkingDriverKit/IOUserNetworkPacketQueue.h>
#include <NetworkingDriverKit/IOUserNetworkTxSubmissionQueue.h>
#include <NetworkingDriverKit/IOUserNetworkTxCompletionQueue.h>
#include <NetworkingDriverKit/IOUserNetworkRxSubmissionQueue.h>
#include <NetworkingDriverKit/IOUserNetworkRxCompletionQueue.h>
#include <NetworkingDriverKit/IOUserNetworkPacketPoller.h>
#include <NetworkingDriverKit/IOUserNetworkEthernetNicProxy.h>
#include <NetworkingDriverKit/IOUserNetworkEthernet.h>

#endif
