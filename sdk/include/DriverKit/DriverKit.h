/*
 * DriverKit/DriverKit.h — umbrella header: every DriverKit header netdext provides.
 */
#ifndef _DRIVERKIT_DRIVERKIT_H
#define _DRIVERKIT_DRIVERKIT_H

#include <DriverKit/DriverKit_availability.h>
#include <DriverKit/IOReturn.h>
#include <DriverKit/IOTypes.h>
#include <DriverKit/IOLib.h>
#include <DriverKit/IOKitKeys.h>
#include <DriverKit/OSMetaClass.h>
#include <DriverKit/OSObject.h>
#include <DriverKit/OSAction.h>
#include <DriverKit/OSCollections.h>
#include <DriverKit/IODispatchQueue.h>
#include <DriverKit/IODispatchSource.h>
#include <DriverKit/IOTimerDispatchSource.h>
#include <DriverKit/IODataQueueDispatchSource.h>
#include <DriverKit/IOInterruptDispatchSource.h>
#include <DriverKit/IOMemoryDescriptor.h>
#include <DriverKit/IOBufferMemoryDescriptor.h>
#include <DriverKit/IOMemoryMap.h>
#include <DriverKit/IODMACommand.h>
#include <DriverKit/IOService.h>
#include <DriverKit/IOUserClient.h>
#include <DriverKit/IOUserServer.h>

#endif /* _DRIVERKIT_DRIVERKIT_H */
